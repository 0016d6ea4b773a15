import type { KubeStandIn } from '@checkpoint-share/sandbox/kube-api';
import type { RequestRecord as OpenAIRequest } from '@checkpoint-share/sandbox/openai-api';
import type { LogLine } from '../support/operator-process.js';
import type { ChaosCounts } from './chaos.js';
import type { Operation } from './driver.js';
import type { RssVerdict } from './rss.js';

/**
 * What the Kubernetes stand-in was asked, tallied as it goes: its request log keeps only the
 * latest 10 000 requests, fewer than a long soak makes, so it is drained every few seconds.
 */
export class KubeTally {
  /** Watch requests (first watches and every re-watch) by resource. */
  readonly watches: Record<string, number> = {};
  /** List requests (initial lists and every relist) by resource. */
  readonly lists: Record<string, number> = {};
  /** Successful updates of a Lease: renewals, takeovers and releases. */
  leaseUpdates = 0;
  requests = 0;

  constructor(private readonly kube: KubeStandIn) {}

  drain(): void {
    // requests() and clearRequests() run in one turn of the event loop: no request slips between.
    const records = this.kube.requests();
    this.kube.clearRequests();
    for (const r of records) {
      this.requests += 1;
      const resource = r.resource ?? r.path;
      if (r.verb === 'watch') this.watches[resource] = (this.watches[resource] ?? 0) + 1;
      if (r.verb === 'list') this.lists[resource] = (this.lists[resource] ?? 0) + 1;
      if (r.verb === 'update' && r.resource === 'leases' && r.status === 200) this.leaseUpdates += 1;
    }
  }
}

/** OpenAI requests by "operation status" (status "reset" when the connection was cut). */
export function openaiCalls(requests: readonly OpenAIRequest[]): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const r of requests) {
    const key = `${r.operation ?? r.path} ${r.status ?? 'reset'}`;
    calls[key] = (calls[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(calls).sort(([a], [b]) => a.localeCompare(b)));
}

/** Reconcile outcomes from the operators' own log lines. */
export function passes(logs: readonly LogLine[]): { reconciled: number; failed: number; abandoned: number } {
  const count = (msg: string) => logs.filter((l) => l.msg === msg).length;
  return {
    reconciled: count('reconciled'),
    failed: count('reconcile failed'),
    abandoned: count('reconcile abandoned'),
  };
}

export interface ReplicaFigures extends RssVerdict {
  heapFloorThirdQuarterMiB?: number;
  heapFloorFourthQuarterMiB?: number;
  /** At the last scrape: V8 heap committed, and memory outside the heap (buffers, sockets). */
  heapTotalMiB?: number;
  externalMiB?: number;
  identity: string;
  pid: number;
  /** How it ended: "running", "exit 0", "SIGKILL". */
  state: string;
}

export interface SoakFigures {
  minutes: number;
  seed: number;
  exact: boolean;
  settleSeconds: number;
  problems: string[];
  rssGrew: boolean;
  passes: { reconciled: number; failed: number; abandoned: number };
  openaiCalls: Record<string, number>;
  kube: {
    requests: number;
    watches: Record<string, number>;
    lists: Record<string, number>;
    leaseUpdates: number;
  };
  driver: {
    operations: Record<Operation, number>;
    refused: number;
    liveShares: number;
    deletedShares: number;
  };
  faults: ChaosCounts;
  takeover: { stoppedLeader: string; exit: string; newLeader: string; afterMs: number } | undefined;
  replicas: ReplicaFigures[];
}

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);
const listed = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/** The human summary, then one JSON line (prefixed SOAK_SUMMARY) for machines. */
export function summaryText(f: SoakFigures): string {
  const lines = [
    `soak: ${f.minutes} min, seed ${f.seed}: ${f.exact && !f.rssGrew ? 'PASS' : 'FAIL'}`,
    `  end state: ${f.exact ? `exact after ${f.settleSeconds} s of settling` : `NOT exact after ${f.settleSeconds} s of settling (${f.problems.length} problems)`}`,
    ...f.problems.slice(0, 40).map((p) => `    - ${p}`),
    ...(f.problems.length > 40 ? [`    ... and ${f.problems.length - 40} more`] : []),
    `  shares: ${f.driver.liveShares} live, ${f.driver.deletedShares} deleted; driver operations: ${listed(f.driver.operations)}; refused by the API: ${f.driver.refused}`,
    `  passes: ${f.passes.reconciled} reconciled, ${f.passes.failed} failed, ${f.passes.abandoned} abandoned`,
    `  OpenAI calls (${total(f.openaiCalls)}): ${listed(f.openaiCalls)}`,
    `  OpenAI faults injected (${total(f.faults.openai)}): ${listed(f.faults.openai)}`,
    `  watches cut ${f.faults.watchDrops} times (${f.faults.droppedWatches} connections), history expired ${f.faults.historyExpiries} times`,
    `  Kubernetes requests ${f.kube.requests}: watch requests ${total(f.kube.watches)} (${listed(f.kube.watches)}), list requests ${total(f.kube.lists)} (${listed(f.kube.lists)})`,
    `  lease updates (renewals, takeovers, releases): ${f.kube.leaseUpdates}`,
    f.takeover
      ? `  takeover: ${f.takeover.stoppedLeader} stopped with SIGTERM (${f.takeover.exit}); ${f.takeover.newLeader} led ${f.takeover.afterMs} ms later`
      : '  takeover: none',
    ...f.replicas.map(
      (r) =>
        `  RSS ${r.identity} (pid ${r.pid}, ${r.state}): peak ${r.peakMiB} MiB, final ${r.finalMiB} MiB, ` +
        (r.notJudged !== undefined
          ? `not judged (${r.notJudged})`
          : `median 3rd quarter ${r.thirdQuarterMiB} MiB -> 4th quarter ${r.fourthQuarterMiB} MiB: ${r.grew ? 'GREW' : 'flat'}`) +
        (r.heapFloorThirdQuarterMiB === undefined
          ? ''
          : `; lowest heap used ${r.heapFloorThirdQuarterMiB} -> ${r.heapFloorFourthQuarterMiB ?? '?'} MiB`) +
        (r.heapTotalMiB === undefined
          ? ''
          : `; heap committed ${r.heapTotalMiB} MiB, external ${r.externalMiB} MiB`),
    ),
    `SOAK_SUMMARY ${JSON.stringify(f)}`,
  ];
  return lines.join('\n');
}
