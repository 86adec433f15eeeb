import type { ChildProcess } from 'node:child_process';
import { CommandProcess, runCommand, type CommandRun } from './command-process.js';

/** A real `herald listen` child process (the built command), with its stdout lines. */
export class ListenProcess extends CommandProcess {
  private constructor(proc: ChildProcess) {
    super(proc, 'listen');
  }

  /** Starts `herald listen <args>` and resolves once it says what it listens to. */
  static async start(args: string[], env: Record<string, string> = {}): Promise<ListenProcess> {
    const p = new ListenProcess(CommandProcess.spawn('listen', args, env));
    await p.waitForLine(/herald listen: webhook \S+ of /, 20_000);
    return p;
  }

  /** Runs `herald listen <args>` to its exit: the code and what it printed. */
  static run(args: string[], env: Record<string, string> = {}): Promise<CommandRun> {
    return runCommand('listen', args, env);
  }

  override waitForLine(re: RegExp, timeoutMs = 15_000, count = 1): Promise<string> {
    return super.waitForLine(re, timeoutMs, count);
  }
}
