import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../dist/packages/sandbox/src/main.js', import.meta.url));

/** The built sandbox CLI (packages/sandbox/dist/packages/sandbox/src/main.js) as a child process, its output in lines. */
export class SandboxProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  /** Once the process has exited and its stdout and stderr are drained. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Once the process has exited: a child it left behind may still hold its stdout or stderr. */
  readonly ended: Promise<void>;
  readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [MAIN, ...args], {
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
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => resolve({ code, signal }));
    });
    this.ended = new Promise((resolve) => {
      this.child.on('exit', () => resolve());
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the sandbox CLI did not start');
    return this.child.pid;
  }

  /** Ends the process however the test left it, so a failed test leaves nothing running. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.ended;
  }
}

/** The PIDs whose parent is pid, from /proc (Linux). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        // The command name, in parentheses, may hold spaces: the fields after it are fixed.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === pid ? [Number(name)] : [];
      } catch {
        return [];
      }
    });
}

/** Whether a process with this PID still exists (a zombie awaiting its reaper counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}
