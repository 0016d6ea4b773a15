import type { CheckpointShare } from '../api/types.js';
import { keyOf } from '../reconcile/share-facts.js';
import { needsPass } from './predicates.js';
import type { ShareCache } from './share-cache.js';
import type { InformerHandlers } from './share-informer.js';
import type { WorkQueue } from './work-queue.js';

/**
 * Maps watched CheckpointShare changes to checkpoint keys (controller-runtime's event handler
 * with its predicates): the cache always learns the change; the queue only gets keys once the
 * controller is active, and only for changes that can alter a plan.
 */
export class ShareEvents implements InformerHandlers {
  constructor(
    private readonly cache: ShareCache,
    private readonly queue: WorkQueue,
    /** False on a standby: no work is queued, so the queue shows no backlog that never drains. */
    private readonly active: () => boolean,
  ) {}

  upsert(share: CheckpointShare): void {
    if (!this.active()) {
      this.cache.upsert(share);
      return;
    }
    // Compared with what the watch delivered before, not with the operator's own newer write:
    // a user's edit that raced a status write must still queue a pass.
    const previous = this.cache.observed(keyOf(share));
    const touched = this.cache.upsert(share);
    if (previous && !needsPass(previous, share)) return;
    for (const checkpoint of touched) this.queue.add(checkpoint);
  }

  remove(key: string): void {
    const touched = this.cache.remove(key);
    if (!this.active()) return;
    for (const checkpoint of touched) this.queue.add(checkpoint);
  }

  keysIn(namespace: string | undefined): string[] {
    return this.cache.keys().filter((k) => namespace === undefined || k.startsWith(`${namespace}/`));
  }
}
