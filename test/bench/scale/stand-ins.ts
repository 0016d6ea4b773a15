import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetShape } from './fleet.js';
import { type Poll, type Ready, type Reply, type Snapshot, standInArgs } from './protocol.js';

const RUN_TS = fileURLToPath(new URL('./run-ts.ts', import.meta.url));
const PROCESS = fileURLToPath(new URL('./stand-ins-process.ts', import.meta.url));
const READY_TIMEOUT_MS = 120_000;

/** The stand-ins process (./stand-ins-process.ts), seen from the benchmark. */
export class StandIns {
  private nextId = 1;
  private readonly pending = new Map<number, (body: Reply['body']) => void>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Ready,
  ) {
    child.on('message', (message: Reply) => {
      this.pending.get(message.id)?.(message.body);
      this.pending.delete(message.id);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts the process and resolves once the fleet is stored and both stand-ins listen. */
  static async start(shape: FleetShape, dir: string): Promise<StandIns> {
    const child = spawn(process.execPath, [RUN_TS, PROCESS, ...standInArgs(shape, dir)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the stand-ins process did not start in time')),
        READY_TIMEOUT_MS,
      );
      child.once('message', (message: Ready) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the stand-ins process ended before it was ready (${signal ?? `exit ${code}`})`));
      });
    });
    return new StandIns(child, ready);
  }

  private ask<T extends Reply['body']>(type: 'poll' | 'snapshot' | 'stop'): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error('the stand-ins process is gone'));
        return;
      }
      this.pending.set(id, (body) => resolve(body as T));
      this.child.send({ id, type });
    });
  }

  poll(): Promise<Poll> {
    return this.ask<Poll>('poll');
  }

  snapshot(): Promise<Snapshot> {
    return this.ask<Snapshot>('snapshot');
  }

  async stop(): Promise<void> {
    if (this.child.connected) await this.ask('stop').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
