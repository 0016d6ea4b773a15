import { Random } from '../../soak/random.js';
import { buildDriftFleet, type DriftFleet } from './fleet.js';
import { type HandChange, handChanges } from './hand-changes.js';
import { KubeStore, type KubeWriteKind } from './kube-store.js';
import { type CallCounts, COUNTED } from './openai-api.js';
import { assembleOperator, DEFAULT_SETTINGS, type DriftSettings } from './operator.js';
import { Organisation } from './organisation.js';
import { advance, advanceUntil, useRealTime, useSimulatedTime } from './simulated-time.js';

const HOUR_MS = 3_600_000;
/** Simulated time allowed to converge from nothing granted (2,000 checkpoints take about 15 minutes). */
const CONVERGE_LIMIT_MS = 4 * HOUR_MS;
/** After the hour, how long a change still unrepaired is waited for (not counted in the calls). */
const REPAIR_LIMIT_MS = 30 * 60_000;
const STEP_MS = 60_000;
/**
 * After converging and before measuring: longer than the follower's overlap, so the polls of the
 * measured hour no longer re-read the burst of convergence events.
 */
const SETTLE_MS = 5 * 60_000;

export interface DriftBenchOptions {
  checkpoints: number;
  shares: number;
  seed: number;
  /** How late audit-log entries become readable. */
  lagMs: number;
  /** Simulated round trip of each OpenAI request. */
  latencyMs: number;
  /** The measured steady state; one hour unless a test says otherwise. */
  measureMs?: number;
  progress?: (line: string) => void;
}

export interface Repair {
  what: string;
  checkpoint: string;
  /** When the change was made, from the start of the measured hour. */
  atSeconds: number;
  /** From the change to the organisation being as the shares want it again; null: never. */
  repairSeconds: number | null;
}

export interface ModeFigures {
  mode: 'follower' | 'listing';
  /** Simulated time from start to every checkpoint granted as wanted, queue idle. */
  convergeSeconds: number;
  /** OpenAI requests until converged, by operation. */
  convergeCalls: CallCounts;
  /** OpenAI requests in the measured hour by operation, each page counted. */
  calls: CallCounts;
  totalCalls: number;
  /** Kubernetes writes in the measured hour. */
  kubeWrites: Record<KubeWriteKind, number>;
  repairs: Repair[];
  /** Checkpoints whose permissions differ from what the shares want at the end. */
  mismatches: string[];
  /** Warnings and errors the operator logged over the whole run, by message. */
  problems: Record<string, number>;
  wallSeconds: number;
}

export interface DriftFigures {
  checkpoints: number;
  shares: number;
  seed: number;
  lagSeconds: number;
  latencyMs: number;
  measuredHours: number;
  settings: Omit<DriftSettings, 'auditLog'>;
  follower: ModeFigures;
  listing: ModeFigures;
  /** Listing-mode calls per follower-mode call. */
  ratio: number;
}

function mismatches(fleet: DriftFleet, organisation: Organisation): string[] {
  const out: string[] = [];
  for (const checkpoint of fleet.checkpoints) {
    const wanted = fleet.wanted.get(checkpoint) ?? new Set<string>();
    const held = organisation.projects(checkpoint);
    if (held.size !== wanted.size || [...wanted].some((p) => !held.has(p))) out.push(checkpoint);
  }
  return out;
}

/**
 * One run: converge from nothing granted (not counted), spread every checkpoint's next drift
 * check over its interval as in a process that has run for days, then measure an hour of
 * steady state with the hand-made changes, and wait for any change still unrepaired.
 */
export async function runMode(
  mode: ModeFigures['mode'],
  fleet: DriftFleet,
  changes: readonly HandChange[],
  options: DriftBenchOptions,
): Promise<ModeFigures> {
  const wallStarted = performance.now();
  const progress = options.progress ?? (() => undefined);
  const measureMs = options.measureMs ?? HOUR_MS;
  useSimulatedTime();
  try {
    const organisation = new Organisation(fleet.checkpoints, options.lagMs);
    const kube = new KubeStore(fleet.shares);
    const random = new Random(options.seed);
    const settings: DriftSettings = { ...DEFAULT_SETTINGS, auditLog: mode === 'follower' ? 'auto' : 'off' };
    const operator = assembleOperator(settings, organisation, kube, {
      latencyMs: options.latencyMs,
      random: () => random.next(),
    });
    operator.start();
    const convergeMs = await advanceUntil(
      () =>
        operator.queue.length === 0 &&
        operator.queue.inFlight === 0 &&
        mismatches(fleet, organisation).length === 0,
      10_000,
      CONVERGE_LIMIT_MS,
      `${mode}: converging ${fleet.checkpoints.length} checkpoints`,
    );
    const convergeCalls = operator.api.counts;
    progress(`${mode}: converged in ${Math.round(convergeMs / 1000)} s simulated`);
    if (operator.follower && !operator.follower.following)
      throw new Error(`${mode}: the follower is not following after convergence`);
    // Converged together, the checkpoints would list together; a long-running process has its
    // checks spread over the interval (the earlier of two pending times wins in the queue).
    // Stratified, so that how many fall in the measured hour hardly depends on the seed.
    const phases = random.shuffle(fleet.checkpoints);
    for (const [index, checkpoint] of phases.entries()) {
      const phase = (index + random.next()) / phases.length;
      operator.queue.addAfter(checkpoint, phase * operator.driftIntervalMs());
    }
    await advance(SETTLE_MS);

    operator.api.resetCounts();
    kube.resetWrites();
    const started = Date.now();
    const pending = new Map<HandChange, { atMs: number; repaired: () => boolean; repairedAt?: number }>();
    organisation.onChange((checkpoint, actor) => {
      if (actor !== 'operator') return;
      for (const [change, state] of pending)
        if (change.checkpoint === checkpoint && state.repairedAt === undefined && state.repaired())
          state.repairedAt = Date.now();
    });
    for (const change of changes) {
      setTimeout(() => {
        pending.set(change, { atMs: Date.now(), repaired: change.apply(organisation) });
      }, change.atMs);
    }
    for (let elapsed = 0; elapsed < measureMs; elapsed += STEP_MS) {
      await advance(Math.min(STEP_MS, measureMs - elapsed));
      if ((elapsed + STEP_MS) % (10 * 60_000) === 0)
        progress(
          `${mode}: ${(elapsed + STEP_MS) / 60_000} simulated minutes, ${sum(operator.api.counts)} calls`,
        );
    }
    const calls = operator.api.counts;
    const kubeWrites = { ...kube.writes };
    const unrepaired = () =>
      pending.size < changes.length || [...pending.values()].some((s) => s.repairedAt === undefined);
    // A change still wrong after REPAIR_LIMIT_MS is reported as never repaired (null), not thrown.
    if (unrepaired())
      await advanceUntil(() => !unrepaired(), 10_000, REPAIR_LIMIT_MS, mode).catch(() => undefined);
    const repairs: Repair[] = changes.map((change) => {
      const state = pending.get(change);
      return {
        what: change.what,
        checkpoint: change.checkpoint,
        atSeconds: ((state?.atMs ?? started + change.atMs) - started) / 1000,
        repairSeconds:
          state?.repairedAt === undefined ? null : Math.round(state.repairedAt - state.atMs) / 1000,
      };
    });
    const stopped = operator.stop();
    let done = false;
    void stopped.then(() => {
      done = true;
    });
    await advanceUntil(() => done, 1000, 60_000, `${mode}: stopping`);
    return {
      mode,
      convergeSeconds: Math.round(convergeMs / 1000),
      convergeCalls,
      calls,
      totalCalls: sum(calls),
      kubeWrites,
      repairs,
      mismatches: mismatches(fleet, organisation),
      problems: Object.fromEntries(operator.problems),
      wallSeconds: Math.round((performance.now() - wallStarted) / 100) / 10,
    };
  } finally {
    useRealTime();
  }
}

export function sum(calls: CallCounts): number {
  return COUNTED.reduce((total, operation) => total + calls[operation], 0);
}

/** Both modes on the same fleet and the same hand-made changes. */
export async function runDriftBench(options: DriftBenchOptions): Promise<DriftFigures> {
  const fleet = buildDriftFleet(options);
  const changes = handChanges(fleet, options.seed);
  const follower = await runMode('follower', fleet, changes, options);
  const listing = await runMode('listing', fleet, changes, options);
  return {
    checkpoints: options.checkpoints,
    shares: options.shares,
    seed: options.seed,
    lagSeconds: options.lagMs / 1000,
    latencyMs: options.latencyMs,
    measuredHours: (options.measureMs ?? HOUR_MS) / HOUR_MS,
    settings: DEFAULT_SETTINGS,
    follower,
    listing,
    ratio: Math.round((listing.totalCalls / Math.max(1, follower.totalCalls)) * 10) / 10,
  };
}
