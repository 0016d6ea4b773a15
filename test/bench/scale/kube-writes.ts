import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, KubeStandIn, StoredChange } from '@checkpoint-share/sandbox/kube-api';
import { CRD_NAME } from '../../../src/api/constants.js';
import type { CheckpointShareStatus } from '../../../src/api/types.js';

/** What one stored change of a CheckpointShare did, judged from the object before and after. */
export type ShareChange =
  | 'finalizer'
  | 'record'
  | 'conditions'
  | 'record+conditions'
  | 'finalizer+status'
  | 'nothing';

const READ_VERBS = new Set(['get', 'list', 'watch']);

/** The ownership record: what a status write must carry before a create is sent. */
const recordOf = (status: CheckpointShareStatus | undefined) => ({
  checkpoint: status?.checkpoint,
  managedProjects: status?.managedProjects ?? [],
});

/** Every status field other than the record. */
function restOf(status: CheckpointShareStatus | undefined): Record<string, unknown> {
  const { checkpoint: _checkpoint, managedProjects: _managed, ...rest } = status ?? {};
  return rest;
}

export function classifyShareChange(before: KubeObject, after: KubeObject): ShareChange {
  const finalizers = !isDeepStrictEqual(before.metadata.finalizers ?? [], after.metadata.finalizers ?? []);
  const statusBefore = before.status as CheckpointShareStatus | undefined;
  const statusAfter = after.status as CheckpointShareStatus | undefined;
  const record = !isDeepStrictEqual(recordOf(statusBefore), recordOf(statusAfter));
  const rest = !isDeepStrictEqual(restOf(statusBefore), restOf(statusAfter));
  if (finalizers) return record || rest ? 'finalizer+status' : 'finalizer';
  if (record) return rest ? 'record+conditions' : 'record';
  return rest ? 'conditions' : 'nothing';
}

/** Kubernetes writes as the API server saw them, since the tally started or was last reset. */
export interface KubeWrites {
  /** Write requests by "verb resource[/subresource]" (create events, patch checkpointshares/status...). */
  requests: Record<string, number>;
  /** Write requests the server refused (409 conflicts and the like), by the same key and status. */
  refused: Record<string, number>;
  /** What each stored change of a CheckpointShare did. */
  shareChanges: Record<string, number>;
  /** Read requests (get, list, watch) by verb. */
  reads: Record<string, number>;
}

const bump = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

/**
 * Counts the operator's Kubernetes traffic at the stand-in: requests from its request log
 * (drained often, since the log is bounded), and what each CheckpointShare write changed from
 * the store's change feed.
 */
export class KubeWriteTally {
  private counts: KubeWrites = { requests: {}, refused: {}, shareChanges: {}, reads: {} };
  private readonly stopFeed: () => void;

  constructor(private readonly kube: KubeStandIn) {
    this.stopFeed = kube.store.onChange((change: StoredChange) => {
      if (change.resource !== CRD_NAME || change.type !== 'MODIFIED' || !change.previous) return;
      bump(this.counts.shareChanges, classifyShareChange(change.previous, change.object));
    });
  }

  drain(): void {
    // requests() and clearRequests() run in one turn of the event loop: none slips between.
    const records = this.kube.requests();
    this.kube.clearRequests();
    for (const r of records) {
      if (READ_VERBS.has(r.verb)) {
        bump(this.counts.reads, `${r.verb} ${r.resource ?? r.path}`);
        continue;
      }
      const key = `${r.verb} ${r.resource ?? r.path}${r.subresource ? `/${r.subresource}` : ''}`;
      bump(this.counts.requests, key);
      if (r.status >= 400) bump(this.counts.refused, `${key} ${r.status}`);
    }
  }

  /** The counts so far (drained first). */
  snapshot(): KubeWrites {
    this.drain();
    return structuredClone(this.counts);
  }

  stop(): void {
    this.stopFeed();
  }
}
