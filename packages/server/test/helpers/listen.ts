import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/herald.js', import.meta.url));

/** A real `herald listen` child process (the built command), with its stdout lines. */
export class ListenProcess {
  readonly lines: string[] = [];
  stderr = '';
  private readonly exited: Promise<number | null>;
  private partial = '';

  private constructor(readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.stdout?.on('data', (d: Buffer) => {
      const parts = (this.partial + d.toString()).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** Starts `herald listen <args>` and resolves once it says what it listens to. */
  static async start(args: string[], env: Record<string, string> = {}): Promise<ListenProcess> {
    const proc = spawn(process.execPath, [BIN, 'listen', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new ListenProcess(proc);
    await p.waitForLine(/herald listen: webhook \S+ of /, 20_000);
    return p;
  }

  /** Runs `herald listen <args>` to its exit: the code and what it printed. */
  static run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const proc = spawn(process.execPath, [BIN, 'listen', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      proc.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Resolves with the count-th line matching re that is printed (or was already). */
  async waitForLine(re: RegExp, timeoutMs = 15_000, count = 1): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.lines.filter((l) => re.test(l));
      if (matching.length >= count) return matching[count - 1] as string;
      if (this.proc.exitCode !== null) throw new Error(`listen exited with ${this.proc.exitCode}: ${this.stderr}${this.lines.join('\n')}`);
      if (Date.now() > until) throw new Error(`no line matching ${re} (x${count}) in ${timeoutMs} ms:\n${this.lines.join('\n')}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** kill -9: no chance to report what it forwarded. */
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
