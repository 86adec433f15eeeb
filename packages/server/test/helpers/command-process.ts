import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built herald command (run `npm run build` first). */
export const HERALD_BIN = fileURLToPath(new URL('../../bin/herald.js', import.meta.url));

/** What a command printed when it exited. */
export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `herald <command> <args>` to its exit. */
export function runCommand(command: string, args: string[], env: Record<string, string> = {}): Promise<CommandRun> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [HERALD_BIN, command, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running `herald <command>` child process, with the lines it prints on stdout. */
export class CommandProcess {
  readonly lines: string[] = [];
  stderr = '';
  private readonly exited: Promise<number | null>;
  private partial = '';

  protected constructor(readonly proc: ChildProcess, private readonly name: string) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.stdout?.on('data', (d: Buffer) => {
      const parts = (this.partial + d.toString()).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  protected static spawn(command: string, args: string[], env: Record<string, string>): ChildProcess {
    return spawn(process.execPath, [HERALD_BIN, command, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Resolves with the count-th line matching re that is printed (or was already). */
  async waitForLine(re: RegExp, timeoutMs = 10_000, count = 1): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.lines.filter((l) => re.test(l));
      if (matching.length >= count) return matching[count - 1] as string;
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited with ${this.proc.exitCode}: ${this.stderr}${this.lines.join('\n')}`);
      if (Date.now() > until) throw new Error(`no line matching ${re} (x${count}) in ${timeoutMs} ms:\n${this.lines.join('\n')}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** kill -9: no chance to clean up. */
  async crash(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.kill('SIGTERM');
    return this.exited;
  }
}
