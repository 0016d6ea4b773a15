import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import type { CheckpointShare } from '../../src/api/types.js';
import { Env } from '../support/harness.js';
import type { OperatorProcess } from '../support/operator-process.js';
import { scrape, startupOf } from '../support/probes.js';
import { sumOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';
import { Chaos } from './chaos.js';
import { ShareDriver } from './driver.js';
import { inexactness } from './exact-state.js';
import { KubeTally, openaiCalls, passes, type SoakFigures, summaryText } from './figures.js';
import { Random } from './random.js';
import { heapFloors, judgeRss, type RssSample, readRss } from './rss.js';
import { SETTLE_DEADLINE_MS, SOAK_MINUTES, SOAK_SEED, SOAK_TIMEOUT_MS } from './settings.js';

const NAMESPACES = ['soak-a', 'soak-b', 'soak-c'];
const LEASE_NAMESPACE = 'soak-system';
const LEASE = 'checkpoint-share-operator';
const CHECKPOINTS = [
  'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd',
  'ft:gpt-4o-mini-2024-07-18:acme:weather:C8S0WkRe',
  'ft:gpt-4o-mini-2024-07-18:acme:search:D9T1XlSf',
  'ft:gpt-4.1-2025-04-14:acme:support:E0U2YmTg:ckpt-step-200',
];
const PROJECTS = Array.from({ length: 12 }, (_, i) => `proj_soak${String(i + 1).padStart(2, '0')}`);
/** A few operations a second: a busy GitOps repository, not a load test. */
const OPERATION_EVERY_MS = 400;
const OPENAI_FAULT_EVERY_MS = 3_000;
const WATCH_DROP_EVERY_MS = 45_000;
const RSS_SAMPLE_EVERY_MS = 2_000;
/**
 * The operators' old-generation cap: half the 256Mi memory limit of deploy/. Without one, V8
 * lets the heap grow for many minutes before it collects in earnest, which looks like a leak
 * in a short soak; with one, a leak on the heap ends the process (and fails the soak) instead.
 */
const OPERATOR_HEAP_MB = 128;

interface Replica {
  process: OperatorProcess;
  identity: string;
  pid: number;
  samples: RssSample[];
  /** nodejs_heap_size_used_bytes from its /metrics, every fifth RSS sample. */
  heap: RssSample[];
  /** The last scrape's V8 heap committed and memory outside it (buffers, sockets), in bytes. */
  lastMemory?: { heapTotal: number; external: number };
  /** "running" until it exits; then "exit N" or the signal. */
  state: string;
  /** When it started or last took the lead, in ms since the soak started (RSS warms up after). */
  settledSince: number;
  /** The soak stopped it on purpose. */
  stopped: boolean;
}

let env: Env | undefined;
afterAll(async () => {
  await env?.close();
});

it(`soak: ${SOAK_MINUTES} min of churn, faults and a leader handover end in the exact state with flat RSS`, {
  timeout: SOAK_TIMEOUT_MS,
}, async () => {
  console.log(`soak: ${SOAK_MINUTES} min, seed ${SOAK_SEED} (SOAK_SEED=${SOAK_SEED} repeats these choices)`);
  // The in-cluster defaults: the real 60 s bookmark period, a bearer token, leader election on.
  const world = await Env.start({ checkpoints: CHECKPOINTS, bookmarkIntervalMs: 60_000 });
  env = world;
  const random = new Random(SOAK_SEED);
  const started = Date.now();
  const churnMs = SOAK_MINUTES * 60_000;
  const churnEnds = started + churnMs;
  const kube = new KubeTally(world.kube);
  const replicas: Replica[] = [];
  const holder = () =>
    (world.kube.store.get('leases', LEASE_NAMESPACE, LEASE)?.spec as { holderIdentity?: string } | undefined)
      ?.holderIdentity || undefined;

  const startReplica = async (): Promise<Replica> => {
    const process = world.startOperator({
      LEADER_ELECTION: 'true',
      POD_NAMESPACE: LEASE_NAMESPACE,
      NODE_OPTIONS: `--max-old-space-size=${OPERATOR_HEAP_MB}`,
    });
    const { identity } = await startupOf(process);
    const replica: Replica = {
      process,
      identity,
      pid: process.pid ?? 0,
      samples: [],
      heap: [],
      state: 'running',
      settledSince: Date.now() - started,
      stopped: false,
    };
    void process.exited.then(({ code, signal }) => {
      replica.state = signal ?? `exit ${code}`;
    });
    replicas.push(replica);
    return replica;
  };
  await Promise.all([startReplica(), startReplica()]);
  const first = await waitFor('a replica to hold the lease', holder, { timeoutMs: 60_000 });
  await replicas
    .find((r) => r.identity === first)
    ?.process.waitForLog('the first leader', (l) => l.msg === 'became leader', 60_000);

  let sampling = true;
  const sampler = (async () => {
    for (let tick = 0; sampling; tick += 1) {
      for (const r of replicas) {
        const bytes = r.state === 'running' ? readRss(r.pid) : undefined;
        if (bytes !== undefined) r.samples.push({ at: Date.now() - started, bytes });
        if (bytes === undefined || tick % 5 !== 0) continue;
        try {
          const { metrics } = await scrape(r.process);
          r.heap.push({ at: Date.now() - started, bytes: sumOf(metrics, 'nodejs_heap_size_used_bytes') });
          r.lastMemory = {
            heapTotal: sumOf(metrics, 'nodejs_heap_size_total_bytes'),
            external: sumOf(metrics, 'nodejs_external_memory_bytes'),
          };
        } catch {
          // A replica that is exiting answers no more scrapes; its RSS samples end there too.
        }
      }
      kube.drain();
      await sleep(RSS_SAMPLE_EVERY_MS);
    }
  })();

  const driver = new ShareDriver({
    api: world.api,
    random,
    namespaces: NAMESPACES,
    checkpoints: CHECKPOINTS,
    projects: PROJECTS,
    minLive: 10,
    maxLive: 40,
  });
  const chaos = new Chaos(random, world.openai, world.kube);
  const until = async (everyMs: number, action: () => unknown): Promise<void> => {
    while (Date.now() < churnEnds) {
      await action();
      await sleep(everyMs);
    }
  };

  // A quarter of the way in, the leader is stopped as a rollout stops a pod and a new pod joins,
  // so the second half, over which RSS is judged, runs under a leader that took over (and, in
  // runs of six minutes or more, has warmed up: see WARM_UP_MS).
  const handover = (async (): Promise<SoakFigures['takeover']> => {
    await sleep(churnMs / 4);
    const leader = replicas.find((r) => r.identity === holder());
    if (!leader) return undefined;
    leader.stopped = true;
    leader.process.signal('SIGTERM');
    const stoppedAt = Date.now();
    await leader.process.exited;
    const next = await waitFor(
      'a standby to take the lease over',
      () => {
        const now = holder();
        return now && now !== leader.identity ? now : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const afterMs = Date.now() - stoppedAt;
    const successor = replicas.find((r) => r.identity === next);
    if (successor) successor.settledSince = Date.now() - started;
    await startReplica();
    return { stoppedLeader: leader.identity, exit: leader.state, newLeader: next, afterMs };
  })();

  await Promise.all([
    until(OPERATION_EVERY_MS, () => driver.step()),
    until(OPENAI_FAULT_EVERY_MS, () => chaos.injectOpenAIFault()),
    (async () => {
      await sleep(WATCH_DROP_EVERY_MS);
      await until(WATCH_DROP_EVERY_MS, () => chaos.dropWatches());
    })(),
  ]);
  const takeover = await handover;

  // Settle: no more faults (a request still held by a latency fault lands first), nothing
  // suspended, then wait for the exact state by condition.
  chaos.clear();
  await world.openai.idle();
  await driver.resumeAll();
  const settleStarted = Date.now();
  let problems: string[] = [];
  // Read straight from the stand-in's store, so the checks add no requests to the figures.
  const storedShares = () => world.kube.store.list('checkpointshares') as unknown as CheckpointShare[];
  const exact = await waitFor(
    'the exact end state',
    async () => {
      problems = [
        ...inexactness(driver.intended(), storedShares(), world.openai),
        ...replicas
          .filter((r) => !r.stopped && r.state !== 'running')
          .map((r) => `operator ${r.identity} (pid ${r.pid}) ended on its own: ${r.state}`),
      ];
      return problems.length === 0;
    },
    { timeoutMs: SETTLE_DEADLINE_MS, intervalMs: 1_000 },
  ).catch(() => false);
  const settleSeconds = Math.round((Date.now() - settleStarted) / 1000);
  sampling = false;
  await sampler;
  kube.drain();

  const intended = driver.intended();
  const figures: SoakFigures = {
    minutes: SOAK_MINUTES,
    seed: SOAK_SEED,
    exact,
    settleSeconds,
    problems,
    rssGrew: false,
    passes: passes(replicas.flatMap((r) => r.process.logs())),
    openaiCalls: openaiCalls(world.openai.requests()),
    kube: {
      requests: kube.requests,
      watches: kube.watches,
      lists: kube.lists,
      leaseUpdates: kube.leaseUpdates,
    },
    driver: {
      operations: driver.done,
      refused: driver.errors.length,
      liveShares: intended.filter((s) => !s.deleted).length,
      deletedShares: intended.filter((s) => s.deleted).length,
    },
    faults: chaos.counts,
    takeover,
    replicas: replicas.map((r) => ({
      identity: r.identity,
      pid: r.pid,
      state: r.state,
      ...judgeRss(r.samples, churnMs, r.settledSince),
      ...heapFloors(r.heap, churnMs),
      ...(r.lastMemory === undefined
        ? {}
        : {
            heapTotalMiB: Math.round(r.lastMemory.heapTotal / 2 ** 20),
            externalMiB: Math.round(r.lastMemory.external / 2 ** 20),
          }),
    })),
  };
  figures.rssGrew = figures.replicas.some((r) => r.grew);
  console.log(summaryText(figures));

  expect(problems, 'the end state is exact').toEqual([]);
  expect(
    figures.replicas.filter((r) => r.grew).map((r) => r.identity),
    'no operator RSS grew over the second half',
  ).toEqual([]);
});
