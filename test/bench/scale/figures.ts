import type { KubeWrites } from './kube-writes.js';
import type { OpenAICalls } from './openai-calls.js';

/** Everything one benchmark run measured; printed as a table and written as JSON. */
export interface ScaleFigures {
  shares: number;
  checkpoints: number;
  seed: number;
  settings: { openaiMaxRps: number; resyncInterval: string; nodeOptions: string };
  /** The fewest calls that converge the fleet, and how long they take at the rate limit. */
  floor: { lists: number; creates: number; calls: number; seconds: number; wantedPermissions: number };
  converged: boolean;
  /** What still differed from the converged state when the run gave up (empty when converged). */
  problems: string[];
  /** From starting the operator process to the converged state. */
  convergeSeconds: number | undefined;
  convergeOverFloor: number | undefined;
  /** From starting the operator process to it leading (the part the floor does not cover). */
  startupSeconds: number | undefined;
  /** Until convergence. */
  openai: OpenAICalls & { overFloor: number };
  /**
   * Until convergence: requests, and per share; `writes` leaves out the leader election's Lease
   * writes, which `leaseWrites` counts over the whole run.
   */
  kube: KubeWrites & {
    writes: number;
    leaseWrites: number;
    writesPerShare: number;
    writesPerShareByKind: Record<string, number>;
  };
  operator: {
    /** VmHWM at the end of the run. */
    peakRssMiB: number;
    /** VmRSS at the end of the idle window. */
    settledRssMiB: number;
    /** Largest V8 heap used of the /metrics samples, and at the end of the idle window. */
    peakHeapUsedMiB: number;
    settledHeapUsedMiB: number;
    settledHeapTotalMiB: number;
    settledExternalMiB: number;
    cpuSecondsToConverge: number;
  };
  /** From converging until the audit-log follower reads one page a poll again. */
  auditLogCatchUp: {
    seconds: number;
    openaiCalls: Record<string, number>;
    operatorCpuSeconds: number;
  };
  idle: {
    seconds: number;
    /** Writes other than the Lease's renewals. */
    openaiCalls: number;
    kubeWrites: number;
    kubeWritesByKind: Record<string, number>;
    operatorCpuSeconds: number;
  };
  standIns: { cpuSecondsToConverge: number; cpuSecondsIdle: number; peakRssMiB: number; seedMs: number };
  /** TCP connections the Kubernetes stand-in accepted from the operator, and the most open at once. */
  kubeConnections: { accepted: number; peakOpen: number };
}

const MIB = 1024 * 1024;
export const mib = (bytes: number): number => Math.round((bytes / MIB) * 10) / 10;
export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** counts after − counts before, keys with 0 left out. */
export function difference(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}

export const total = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((a, b) => a + b, 0);
