import { compareText } from '../api/order.js';
import type { CheckpointShare } from '../api/types.js';
import { checkpointsOf, keyOf } from '../reconcile/share-facts.js';
import { projectShare, StringPool } from './share-projection.js';

/**
 * The informer's view of every CheckpointShare, indexed by checkpoint (through spec.checkpoint
 * and status.checkpoint), plus the objects this process wrote itself: until the watch delivers
 * a write back, the written copy is newer than the cached one and is what a reconcile must see,
 * or a second pass could act on a stale ownership record.
 */
export class ShareCache {
  private readonly objects = new Map<string, CheckpointShare>();
  private readonly byCheckpoint = new Map<string, Set<string>>();
  private readonly written = new Map<string, CheckpointShare>();
  /** Objects this process saw go (its finalizer removal deleted them): uid by key. */
  private readonly gone = new Map<string, string | undefined>();
  /** Strings the cached objects share (project and checkpoint ids, condition texts). */
  private readonly strings = new StringPool();

  get size(): number {
    return this.objects.size;
  }

  get(key: string): CheckpointShare | undefined {
    const cached = this.objects.get(key);
    if (cached && this.gone.has(key) && this.gone.get(key) === cached.metadata.uid) return undefined;
    const written = this.written.get(key);
    if (written && (!cached || newer(written, cached))) return written;
    return cached;
  }

  /** The copy the watch delivered last, ignoring the operator's own newer writes. */
  observed(key: string): CheckpointShare | undefined {
    return this.objects.get(key);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  /** Stores the object's projection and returns every checkpoint the change touches (old and new). */
  upsert(delivered: CheckpointShare): Set<string> {
    const share = projectShare(delivered, this.strings);
    const key = keyOf(share);
    const previous = this.objects.get(key);
    if (this.gone.has(key) && this.gone.get(key) !== share.metadata.uid) this.gone.delete(key);
    const touched = new Set(checkpointsOf(share));
    if (previous) {
      for (const ckpt of checkpointsOf(previous)) touched.add(ckpt);
      this.unindex(key, previous);
    }
    this.objects.set(key, share);
    for (const ckpt of checkpointsOf(share)) {
      const keys = this.byCheckpoint.get(ckpt) ?? new Set<string>();
      keys.add(key);
      this.byCheckpoint.set(ckpt, keys);
    }
    const written = this.written.get(key);
    if (written && !newer(written, share)) this.written.delete(key);
    return touched;
  }

  remove(key: string): Set<string> {
    const previous = this.objects.get(key);
    this.written.delete(key);
    this.gone.delete(key);
    if (!previous) return new Set();
    this.objects.delete(key);
    this.unindex(key, previous);
    return new Set(checkpointsOf(previous));
  }

  /** Records an object as the API server returned it after our own write (its projection). */
  remember(returned: CheckpointShare): void {
    const share = projectShare(returned, this.strings);
    const key = keyOf(share);
    const cached = this.objects.get(key);
    if (!cached || newer(share, cached)) this.written.set(key, share);
  }

  /**
   * Marks an object this process saw disappear after its own write (finalizer removed), so no
   * pass acts on the cached, still-deleting copy before the watch delivers the DELETED event.
   */
  markGone(share: CheckpointShare): void {
    const key = keyOf(share);
    this.written.delete(key);
    this.gone.set(key, share.metadata.uid);
  }

  /** Every object whose spec or status names the checkpoint, newest copy of each. */
  sharesOn(checkpoint: string): CheckpointShare[] {
    const keys = this.byCheckpoint.get(checkpoint) ?? new Set<string>();
    const out: CheckpointShare[] = [];
    for (const key of keys) {
      const share = this.get(key);
      if (share && checkpointsOf(share).includes(checkpoint)) out.push(share);
    }
    // A written copy may have moved to a checkpoint the cached copy does not index yet.
    for (const [key, share] of this.written) {
      if (!keys.has(key) && checkpointsOf(share).includes(checkpoint) && this.get(key) === share)
        out.push(share);
    }
    return out.sort((a, b) => compareText(keyOf(a), keyOf(b)));
  }

  /** Whether some object names the checkpoint (in spec or status). */
  hasCheckpoint(checkpoint: string): boolean {
    return (this.byCheckpoint.get(checkpoint)?.size ?? 0) > 0;
  }

  /**
   * The checkpoint of each of these permission ids that some object records as its grant: a
   * scan of every object, for the rare deletion made outside the operator, so no index is kept.
   */
  checkpointsHolding(permissionIds: ReadonlySet<string>): Map<string, string> {
    const found = new Map<string, string>();
    for (const key of this.objects.keys()) {
      const status = this.get(key)?.status;
      if (status?.checkpoint === undefined) continue;
      for (const grant of status.grants ?? []) {
        if (permissionIds.has(grant.permissionId)) found.set(grant.permissionId, status.checkpoint);
      }
    }
    return found;
  }

  checkpoints(): string[] {
    return [...this.byCheckpoint.keys()].filter((c) => (this.byCheckpoint.get(c)?.size ?? 0) > 0);
  }

  private unindex(key: string, share: CheckpointShare): void {
    for (const ckpt of checkpointsOf(share)) {
      const keys = this.byCheckpoint.get(ckpt);
      keys?.delete(key);
      if (keys?.size === 0) this.byCheckpoint.delete(ckpt);
    }
  }
}

/** resourceVersions are opaque, but every API server we target issues increasing integers. */
function newer(a: CheckpointShare, b: CheckpointShare): boolean {
  const ra = Number(a.metadata.resourceVersion);
  const rb = Number(b.metadata.resourceVersion);
  if (!Number.isFinite(ra) || !Number.isFinite(rb)) return false;
  return ra > rb;
}
