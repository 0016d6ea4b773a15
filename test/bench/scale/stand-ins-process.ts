/**
 * The benchmark's stand-ins, in a process of their own so that their CPU is measured apart from
 * the operator's and does not slow the benchmark's own sampling: both stand-ins, the fleet stored
 * before the operator starts, and the tallies, answered over Node IPC (see ./protocol.ts).
 * Started by ./stand-ins.ts through ./run-ts.ts.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type KubeObject, startKubeStandIn } from '../../../packages/sandbox/src/kube-api/index.js';
import { startOpenAIStandIn } from '../../../packages/sandbox/src/openai-api/index.js';
import { CRD_NAME } from '../../../src/api/constants.js';
import { ConvergenceWatch } from './convergence.js';
import { buildFleet, OWNER } from './fleet.js';
import { KubeWriteTally } from './kube-writes.js';
import { parseStandInArgs, type Ready, type Reply, type Request, type Snapshot } from './protocol.js';

/** How often convergence is looked for: the resolution of the time to converge. */
const CHECK_EVERY_MS = 200;

const send = (message: Ready | Reply) => process.send?.(message);
const args = parseStandInArgs(process.argv.slice(2));
const fleet = buildFleet(args);
const openai = await startOpenAIStandIn({
  checkpoints: fleet.checkpoints.map((id) => ({ id, owner: OWNER })),
});
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
const watch = new ConvergenceWatch(kube, openai, fleet);
const timer = setInterval(() => {
  tally.drain();
  watch.check();
}, CHECK_EVERY_MS);

function snapshot(): Snapshot {
  watch.check();
  const cpu = process.cpuUsage();
  return {
    convergedAt: watch.convergedAt,
    readyShares: watch.readyShares,
    kube: tally.snapshot(),
    openai: openai.requests().map((r) => [r.time, r.operation ?? r.path, r.status]),
    problems: watch.problems(),
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
      send({ id: request.id, body: snapshot() });
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
