import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface LogLine {
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

/** The real checkpoint-share binary (built dist/main.js on the pinned Node), as a child process. */
export class OperatorProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  /** `main` and `nodeArgs` run another copy of the build, such as the image's layout replayed. */
  constructor(
    args: string[],
    env: Record<string, string>,
    { main = MAIN, nodeArgs = [] }: { main?: string; nodeArgs?: string[] } = {},
  ) {
    this.child = spawn(process.execPath, [...nodeArgs, main, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (stream: NodeJS.ReadableStream | null, into: string[]) => {
      let buffer = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        into.push(...lines.filter((l) => l !== ''));
      });
      stream?.on('end', () => {
        if (buffer) into.push(buffer);
      });
    };
    collect(this.child.stdout, this.stdout);
    collect(this.child.stderr, this.stderr);
    // 'close' rather than 'exit': it comes once stdout and stderr are drained too, so a test
    // that awaits `exited` reads every line the process wrote.
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => resolve({ code, signal }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** stdout parsed as JSON log lines (lines that are not JSON are skipped). */
  logs(): LogLine[] {
    return this.stdout.flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
  }

  async waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    return waitFor(what, () => this.logs().find(match), { timeoutMs });
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 35_000);
    await this.exited;
    clearTimeout(timer);
  }
}
