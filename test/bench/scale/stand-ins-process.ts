/**
 * The benchmark's stand-ins, in a process of their own so that their CPU is measured apart from
 * the operator's and does not slow the benchmark's own sampling: both stand-ins (OpenAI's on a
 * thread of its own, ./openai-thread.ts), the fleet stored before the operator starts, and the
 * tallies, answered over Node IPC (see ./protocol.ts). Started by ./stand-ins.ts through
 * ./run-ts.ts.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type KubeObject, startKubeStandIn } from '../../../packages/sandbox/src/kube-api/index.js';
import { CRD_NAME } from '../../../src/api/constants.js';
import { ConvergenceWatch } from './convergence.js';
import { buildFleet } from './fleet.js';
import { KubeWriteTally } from './kube-writes.js';
import type { ThreadReply, ThreadRequest } from './openai-thread.js';
import {
  type Arrival,
  parseStandInArgs,
  type Ready,
  type Reply,
  type Request,
  type Snapshot,
} from './protocol.js';

/** How often convergence is looked for: the resolution of the time to converge. */
const CHECK_EVERY_MS = 200;

/** A request before it gets its id (Omit over each member of the union). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The OpenAI stand-in's thread (./openai-thread.ts), seen from this one. */
class OpenAIThread {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ThreadReply) => void>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly baseURL: string,
    readonly adminKey: string,
  ) {
    worker.on('message', (reply: ThreadReply) => {
      if (!('id' in reply)) return;
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  static async start(shape: { shares: number; checkpoints: number; seed: number }): Promise<OpenAIThread> {
    const worker = new Worker(RUN_TS, {
      argv: [OPENAI_THREAD],
      workerData: { shares: shape.shares, checkpoints: shape.checkpoints, seed: shape.seed },
    });
    const ready = await new Promise<Extract<ThreadReply, { type: 'ready' }>>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the OpenAI stand-in's thread ended (exit ${code})`)));
      worker.on('message', (reply: ThreadReply) => {
        if ('type' in reply && reply.type === 'ready') resolve(reply);
      });
    });
    return new OpenAIThread(worker, ready.baseURL, ready.adminKey);
  }

  private ask(request: Unnumbered<ThreadRequest>): Promise<ThreadReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...request, id });
    });
  }

  async problems(limit: number): Promise<string[]> {
    const reply = await this.ask({ type: 'problems', limit });
    return 'problems' in reply ? reply.problems : [];
  }

  async arrivals(): Promise<Arrival[]> {
    const reply = await this.ask({ type: 'arrivals' });
    return 'arrivals' in reply ? reply.arrivals : [];
  }

  /** Once: the benchmark's stop and its going away may both ask. */
  close(): Promise<void> {
    this.closing ??= this.ask({ type: 'close' }).then(async () => {
      await this.worker.terminate();
    });
    return this.closing;
  }
}

const RUN_TS = fileURLToPath(new URL('./run-ts.ts', import.meta.url));
const OPENAI_THREAD = fileURLToPath(new URL('./openai-thread.ts', import.meta.url));

const send = (message: Ready | Reply) => process.send?.(message);
const args = parseStandInArgs(process.argv.slice(2));
const fleet = buildFleet(args);
const openai = await OpenAIThread.start(args);
const kube = await startKubeStandIn({
  token: randomBytes(16).toString('hex'),
  // A real API server's bookmark period.
  bookmarkIntervalMs: 60_000,
  // Drained every check; generous so that no request is dropped between two drains.
  requestLogSize: 1_000_000,
});
const seedStarted = performance.now();
for (const share of fleet.shares) kube.store.put(CRD_NAME, share as unknown as KubeObject);
const seedMs = Math.round(performance.now() - seedStarted);
const kubeconfig = join(args.dir, 'kubeconfig');
await kube.writeKubeconfig(kubeconfig);
const tally = new KubeWriteTally(kube);
const watch = new ConvergenceWatch(kube, (limit) => openai.problems(limit), fleet);
let checking = false;
const timer = setInterval(() => {
  tally.drain();
  if (checking) return;
  checking = true;
  void watch.check().finally(() => {
    checking = false;
  });
}, CHECK_EVERY_MS);

async function snapshot(): Promise<Snapshot> {
  await watch.check();
  const cpu = process.cpuUsage();
  return {
    convergedAt: watch.convergedAt,
    readyShares: watch.readyShares,
    kube: tally.snapshot(),
    openai: await openai.arrivals(),
    problems: await watch.problems(),
    connections: kube.connections(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBytes: process.memoryUsage.rss(),
  };
}

process.on('message', (request: Request) => {
  switch (request.type) {
    case 'poll':
      send({ id: request.id, body: { convergedAt: watch.convergedAt, readyShares: watch.readyShares } });
      return;
    case 'snapshot':
      void snapshot().then((body) => send({ id: request.id, body }));
      return;
    case 'stop':
      clearInterval(timer);
      tally.stop();
      watch.stop();
      void Promise.all([kube.close(), openai.close()]).then(() => {
        send({ id: request.id, body: {} });
        process.disconnect();
      });
      return;
  }
});
// The parent going away (a crashed benchmark) ends this process too.
process.on('disconnect', () => {
  clearInterval(timer);
  void Promise.all([kube.close(), openai.close()]);
});
send({
  type: 'ready',
  kubeconfig,
  openaiBaseUrl: openai.baseURL,
  adminKey: openai.adminKey,
  seedMs,
} satisfies Ready);
// Runs until the benchmark says stop: the module runner returns once this promise settles.
await new Promise<void>((resolve) => process.once('disconnect', () => resolve()));
