import { FINALIZER } from '../../../src/api/constants.js';
import type { CheckpointShare, CheckpointShareStatus } from '../../../src/api/types.js';
import type { InformerHandlers } from '../../../src/controller/share-informer.js';
import type { ShareWriter } from '../../../src/kube/share-writer.js';
import { keyOf } from '../../../src/reconcile/share-facts.js';

export type KubeWriteKind = 'addFinalizer' | 'removeFinalizer' | 'writeStatus';

/**
 * The CheckpointShares as the API server stores them, in memory: every write bumps the
 * resourceVersion, is refused with a conflict when written over a stale copy, and is delivered
 * to the watch handlers as the informer would deliver it. No share is ever deleted here.
 */
export class KubeStore {
  readonly #objects = new Map<string, CheckpointShare>();
  #resourceVersion = 0;
  #watch: InformerHandlers | undefined;
  readonly writes: Record<KubeWriteKind, number> = { addFinalizer: 0, removeFinalizer: 0, writeStatus: 0 };

  constructor(shares: readonly CheckpointShare[]) {
    for (const [index, share] of shares.entries()) {
      this.#objects.set(keyOf(share), {
        ...share,
        metadata: {
          ...share.metadata,
          uid: `uid-${index}`,
          generation: 1,
          resourceVersion: String(++this.#resourceVersion),
        },
      });
    }
  }

  /** Every stored object, for the informer's first list. */
  list(): CheckpointShare[] {
    return [...this.#objects.values()];
  }

  watch(handlers: InformerHandlers): void {
    this.#watch = handlers;
  }

  resetWrites(): void {
    for (const kind of Object.keys(this.writes) as KubeWriteKind[]) this.writes[kind] = 0;
  }

  readonly writer: ShareWriter = {
    get: async (namespace, name) => this.#objects.get(`${namespace}/${name}`),
    addFinalizer: async (share) =>
      this.#write('addFinalizer', share, (stored) => ({
        ...stored,
        metadata: {
          ...stored.metadata,
          finalizers: [...new Set([...(stored.metadata.finalizers ?? []), FINALIZER])],
        },
      })),
    removeFinalizer: async (share) =>
      this.#write('removeFinalizer', share, (stored) => ({
        ...stored,
        metadata: {
          ...stored.metadata,
          finalizers: (stored.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
        },
      })),
    writeStatus: async (share, status: CheckpointShareStatus) =>
      this.#write('writeStatus', share, (stored) => {
        if (stored.metadata.resourceVersion !== share.metadata.resourceVersion)
          throw Object.assign(new Error(`409 conflict writing the status of ${keyOf(share)}`), { code: 409 });
        return { ...stored, status };
      }),
  };

  #write(
    kind: KubeWriteKind,
    share: CheckpointShare,
    change: (stored: CheckpointShare) => CheckpointShare,
  ): CheckpointShare {
    const key = keyOf(share);
    const stored = this.#objects.get(key);
    if (!stored) throw new Error(`no CheckpointShare ${key}`);
    this.writes[kind] += 1;
    const next = change(stored);
    const written = {
      ...next,
      metadata: { ...next.metadata, resourceVersion: String(++this.#resourceVersion) },
    };
    this.#objects.set(key, written);
    this.#watch?.upsert(written);
    return written;
  }
}
