import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OperatorProcess } from '../../support/operator-process.js';
import { startupOf } from '../../support/probes.js';
import { parsePrometheusText, sumOf } from '../../support/prometheus.js';
import { difference, mib, round, type ScaleFigures, total } from './figures.js';
import { buildFleet, callFloor, type FleetShape } from './fleet.js';
import { openaiCalls } from './openai-calls.js';
import { processStats } from './process-stats.js';
import { productionNodeOptions, productionRuntimeEnv } from './production-flags.js';
import type { Arrival } from './protocol.js';
import { StandIns } from './stand-ins.js';

export interface ScaleOptions extends FleetShape {
  openaiMaxRps?: number;
  resyncInterval?: string;
  /** The quiet stretch measured after convergence; 0 skips it. */
  idleSeconds?: number;
  /** The operator's NODE_OPTIONS; default: what deploy/deployment.yaml sets. */
  nodeOptions?: string;
  /** The operator's main.js; default the build in dist/ (another copy compares two builds). */
  operatorMain?: string;
  /** When set, the operator writes a CPU profile and, at the end, a heap snapshot here. */
  profileDir?: string;
  /** Progress lines, a few a minute. */
  progress?: (line: string) => void;
}

const LEASE_NAMESPACE = 'bench-system';
const POLL_EVERY_MS = 250;
const HEAP_EVERY_MS = 5_000;
const PROGRESS_EVERY_MS = 15_000;

async function heapOf(port: number): Promise<{ used: number; total: number; external: number } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    const metrics = parsePrometheusText(await response.text());
    return {
      used: sumOf(metrics, 'nodejs_heap_size_used_bytes'),
      total: sumOf(metrics, 'nodejs_heap_size_total_bytes'),
      external: sumOf(metrics, 'nodejs_external_memory_bytes'),
    };
  } catch {
    return undefined;
  }
}

const isLease = (kind: string) => /\bleases\b/.test(kind);
const withoutLeases = (counts: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(counts).filter(([kind]) => !isLease(kind)));
const leasesOnly = (counts: Record<string, number>): number =>
  total(Object.fromEntries(Object.entries(counts).filter(([kind]) => isLease(kind))));

const toRecords = (arrivals: readonly Arrival[]) =>
  arrivals.map(([time, operation, status]) => ({ time, operation, status, path: operation }));

/** Waits until a heap snapshot file in dir stops growing (V8 writes it in chunks). */
async function heapSnapshotWritten(dir: string, timeoutMs = 120_000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
    if (file) {
      const size = statSync(join(dir, file)).size;
      if (size > 0 && size === last) return join(dir, file);
      last = size;
    }
    await sleep(1_000);
  }
  return undefined;
}

/**
 * One run: stand-ins with the fleet stored, the operator started as production runs it, then
 * sampled until every share is Ready and OpenAI holds exactly the wanted permissions, then a
 * quiet window. Resolves with the figures whether or not it converged (see `converged`).
 */
export async function runScaleBench(options: ScaleOptions): Promise<ScaleFigures> {
  const shape: FleetShape = { shares: options.shares, checkpoints: options.checkpoints, seed: options.seed };
  const maxRps = options.openaiMaxRps ?? 50;
  const resyncInterval = options.resyncInterval ?? '60s';
  const idleSeconds = options.idleSeconds ?? 60;
  const nodeOptions = options.nodeOptions ?? productionNodeOptions();
  const progress = options.progress ?? (() => undefined);
  const fleet = buildFleet(shape);
  const floor = callFloor(fleet);
  const floorSeconds = floor.total / maxRps;
  const dir = mkdtempSync(join(tmpdir(), 'cps-scale-'));
  const standIns = await StandIns.start(shape, dir);
  progress(
    `stand-ins up (pid ${standIns.pid}), ${shape.shares} shares stored in ${standIns.ready.seedMs} ms`,
  );
  let operator: OperatorProcess | undefined;
  try {
    const startedAt = Date.now();
    operator = new OperatorProcess(
      ['run'],
      {
        KUBECONFIG: standIns.ready.kubeconfig,
        OPENAI_BASE_URL: standIns.ready.openaiBaseUrl,
        OPENAI_ADMIN_KEY: standIns.ready.adminKey,
        POD_NAMESPACE: LEASE_NAMESPACE,
        HTTP_PORT: '0',
        OPENAI_MAX_RPS: String(maxRps),
        RESYNC_INTERVAL: resyncInterval,
        LOG_LEVEL: 'info',
        ...(nodeOptions === '' ? {} : { NODE_OPTIONS: nodeOptions }),
        ...productionRuntimeEnv(),
      },
      {
        ...(options.operatorMain === undefined ? {} : { main: options.operatorMain }),
        ...(options.profileDir === undefined
          ? {}
          : {
              nodeArgs: [
                '--cpu-prof',
                `--diagnostic-dir=${options.profileDir}`,
                '--heapsnapshot-signal=SIGUSR2',
              ],
            }),
      },
    );
    const pid = operator.pid ?? 0;
    let exited = false;
    void operator.exited.then(() => {
      exited = true;
    });
    const { httpPort } = await startupOf(operator, 60_000);
    let leaderAt: number | undefined;
    let scanned = 0;
    const watchLeader = () => {
      if (leaderAt !== undefined || !operator) return;
      for (; scanned < operator.stdout.length; scanned += 1) {
        if (operator.stdout[scanned]?.includes('"became leader"')) {
          leaderAt = Date.now();
          return;
        }
      }
    };
    let peakHeap = 0;
    let lastHeap = 0;
    let lastProgress = Date.now();
    const deadline = startedAt + (floorSeconds * 10 + 180) * 1000;
    let convergedAt: number | undefined;
    for (;;) {
      watchLeader();
      const poll = await standIns.poll();
      convergedAt = poll.convergedAt;
      if (convergedAt !== undefined || exited || Date.now() > deadline) break;
      if (Date.now() - lastHeap >= HEAP_EVERY_MS) {
        lastHeap = Date.now();
        peakHeap = Math.max(peakHeap, (await heapOf(httpPort))?.used ?? 0);
      }
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        const stats = processStats(pid);
        progress(
          `${Math.round((Date.now() - startedAt) / 1000)} s: ${poll.readyShares}/${shape.shares} Ready; operator RSS ${mib(stats?.rssBytes ?? 0)} MiB, CPU ${stats?.cpuSeconds ?? 0} s`,
        );
      }
      await sleep(POLL_EVERY_MS);
    }
    const atConvergence = await standIns.snapshot();
    const operatorAtConvergence = processStats(pid);
    peakHeap = Math.max(peakHeap, (await heapOf(httpPort))?.used ?? 0);
    progress(
      convergedAt === undefined
        ? `did not converge: ${atConvergence.problems.slice(0, 5).join('; ')}`
        : `converged after ${round((convergedAt - startedAt) / 1000, 1)} s; waiting for the audit-log follower to catch up`,
    );
    // The follower puts its reads off while passes queue up, then reads the operator's own grants
    // and reads them again until they leave its 2-minute overlap: work that follows converging,
    // measured on its own, before the idle window (so only when there is one).
    const catchUpFrom = Date.now();
    if (convergedAt !== undefined && idleSeconds > 0) await auditLogCaughtUp(standIns, catchUpFrom);
    const catchUpTo = Date.now();
    const operatorAfterCatchUp = processStats(pid);
    const idleFrom = Date.now();
    if (convergedAt !== undefined)
      progress(
        `follower caught up after ${round((catchUpTo - catchUpFrom) / 1000, 1)} s; idle window of ${idleSeconds} s`,
      );
    if (convergedAt !== undefined && idleSeconds > 0) await sleep(idleSeconds * 1000);
    const idleTo = Date.now();
    const operatorAtEnd = processStats(pid);
    const heapAtEnd = await heapOf(httpPort);
    const atEnd = await standIns.snapshot();
    if (options.profileDir !== undefined && !exited) {
      operator.signal('SIGUSR2');
      const written = await heapSnapshotWritten(options.profileDir);
      progress(written ? `heap snapshot: ${written}` : 'no heap snapshot was written');
    }

    const records = toRecords(atEnd.openai);
    const untilConverged = openaiCalls(records, 0, (convergedAt ?? idleFrom) + 1);
    // Lease renewals are the leader election's, whatever the fleet: counted apart.
    const kubeWrites = withoutLeases(atConvergence.kube.requests);
    const writes = total(kubeWrites);
    const perShare = Object.fromEntries(
      Object.entries(kubeWrites).map(([kind, count]) => [kind, round(count / shape.shares, 3)]),
    );
    const idleKube = withoutLeases(difference(atEnd.kube.requests, atConvergence.kube.requests));
    return {
      ...shape,
      settings: { openaiMaxRps: maxRps, resyncInterval, nodeOptions },
      floor: {
        lists: floor.lists,
        creates: floor.creates,
        calls: floor.total,
        seconds: round(floorSeconds, 1),
        wantedPermissions: floor.permissions,
      },
      converged: convergedAt !== undefined,
      problems: atConvergence.problems,
      convergeSeconds: convergedAt === undefined ? undefined : round((convergedAt - startedAt) / 1000, 1),
      convergeOverFloor:
        convergedAt === undefined ? undefined : round((convergedAt - startedAt) / 1000 / floorSeconds),
      startupSeconds: leaderAt === undefined ? undefined : round((leaderAt - startedAt) / 1000, 1),
      openai: { ...untilConverged, overFloor: round(untilConverged.total / floor.total, 3) },
      kube: {
        ...atConvergence.kube,
        writes,
        leaseWrites: leasesOnly(atEnd.kube.requests),
        writesPerShare: round(writes / shape.shares, 2),
        writesPerShareByKind: perShare,
      },
      operator: {
        peakRssMiB: mib(operatorAtEnd?.peakRssBytes ?? operatorAtConvergence?.peakRssBytes ?? 0),
        settledRssMiB: mib(operatorAtEnd?.rssBytes ?? 0),
        peakHeapUsedMiB: mib(Math.max(peakHeap, heapAtEnd?.used ?? 0)),
        settledHeapUsedMiB: mib(heapAtEnd?.used ?? 0),
        settledHeapTotalMiB: mib(heapAtEnd?.total ?? 0),
        settledExternalMiB: mib(heapAtEnd?.external ?? 0),
        cpuSecondsToConverge: round(operatorAtConvergence?.cpuSeconds ?? 0),
      },
      auditLogCatchUp: {
        seconds: round((catchUpTo - catchUpFrom) / 1000, 1),
        openaiCalls: openaiCalls(records, catchUpFrom, catchUpTo).byOperation,
        operatorCpuSeconds: round(
          (operatorAfterCatchUp?.cpuSeconds ?? 0) - (operatorAtConvergence?.cpuSeconds ?? 0),
        ),
      },
      idle: {
        seconds: round((idleTo - idleFrom) / 1000, 1),
        openaiCalls: openaiCalls(records, idleFrom, idleTo).total,
        kubeWrites: total(idleKube),
        kubeWritesByKind: idleKube,
        operatorCpuSeconds: round((operatorAtEnd?.cpuSeconds ?? 0) - (operatorAfterCatchUp?.cpuSeconds ?? 0)),
      },
      standIns: {
        cpuSecondsToConverge: round(atConvergence.cpuSeconds),
        cpuSecondsIdle: round(atEnd.cpuSeconds - atConvergence.cpuSeconds),
        peakRssMiB: mib(Math.max(atConvergence.rssBytes, atEnd.rssBytes)),
        seedMs: standIns.ready.seedMs,
      },
      kubeConnections: { accepted: atEnd.connections.accepted, peakOpen: atEnd.connections.peakOpen },
    };
  } finally {
    await operator?.stop();
    await standIns.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads of the audit log are back to one page a poll: no more than 2 in the last 35 s. */
const CAUGHT_UP_WINDOW_MS = 35_000;
/** The follower's overlap (2 min) plus its deferral and two polls, and some. */
const CATCH_UP_LIMIT_MS = 6 * 60_000;

async function auditLogCaughtUp(standIns: StandIns, from: number): Promise<void> {
  for (;;) {
    await sleep(5_000);
    const now = Date.now();
    if (now - from < CAUGHT_UP_WINDOW_MS) continue;
    const reads = toRecords((await standIns.snapshot()).openai).filter(
      (r) => r.operation === 'audit_log' && r.time >= now - CAUGHT_UP_WINDOW_MS,
    ).length;
    if (reads <= 2 || now - from > CATCH_UP_LIMIT_MS) return;
  }
}
