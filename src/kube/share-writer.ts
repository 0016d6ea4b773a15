import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { FINALIZER, GROUP, PLURAL, VERSION } from '../api/constants.js';
import type { CheckpointShare, CheckpointShareStatus } from '../api/types.js';
import { kubeStatus } from './client.js';
import { KUBE_CALL_TIMEOUT_MS, withDeadline } from './deadline.js';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
/** Conflicts are re-read and retried this many times before the pass fails and backs off. */
const CONFLICT_ATTEMPTS = 3;

/**
 * The operator's writes to CheckpointShares; every write returns the object as the server stored
 * it. Each call ends within its own deadline, sooner once the caller's `signal` aborts.
 */
export interface ShareWriter {
  get(namespace: string, name: string, signal?: AbortSignal): Promise<CheckpointShare | undefined>;
  addFinalizer(share: CheckpointShare, signal?: AbortSignal): Promise<CheckpointShare>;
  /** Removes our finalizer; undefined when the object is gone afterwards (or already was). */
  removeFinalizer(share: CheckpointShare, signal?: AbortSignal): Promise<CheckpointShare | undefined>;
  /** Writes the whole status on the status subresource, guarded by resourceVersion (409 if stale). */
  writeStatus(
    share: CheckpointShare,
    status: CheckpointShareStatus,
    signal?: AbortSignal,
  ): Promise<CheckpointShare>;
}

const nameOf = (share: CheckpointShare) => `${share.metadata.namespace}/${share.metadata.name}`;

export class KubeShareWriter implements ShareWriter {
  constructor(
    private readonly api: CustomObjectsApi,
    private readonly fieldManager: string,
    /** Per HTTP call, response body included. */
    private readonly callTimeoutMs: number = KUBE_CALL_TIMEOUT_MS,
  ) {}

  private ref(share: CheckpointShare) {
    return {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: share.metadata.namespace,
      name: share.metadata.name,
    };
  }

  async get(namespace: string, name: string, signal?: AbortSignal): Promise<CheckpointShare | undefined> {
    try {
      return (await withDeadline(`get of ${namespace}/${name}`, this.callTimeoutMs, signal, (options) =>
        this.api.getNamespacedCustomObject(
          { group: GROUP, version: VERSION, plural: PLURAL, namespace, name },
          options,
        ),
      )) as CheckpointShare;
    } catch (error: unknown) {
      if (kubeStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Re-reads after a 409 (stale resourceVersion) and applies the same change to the fresh object:
   * safe for finalizers, whose change does not depend on the rest of the object.
   */
  private async withFreshOnConflict<T>(
    share: CheckpointShare,
    write: (current: CheckpointShare) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    let current = share;
    for (let attempt = 1; ; attempt++) {
      try {
        return await write(current);
      } catch (error: unknown) {
        const status = kubeStatus(error);
        // 422 here is a failed JSON-patch test op: the finalizer moved, which is a conflict too.
        if ((status !== 409 && status !== 422) || attempt >= CONFLICT_ATTEMPTS) throw error;
        const fresh = await this.get(share.metadata.namespace, share.metadata.name, signal);
        if (!fresh) throw error;
        current = fresh;
      }
    }
  }

  addFinalizer(share: CheckpointShare, signal?: AbortSignal): Promise<CheckpointShare> {
    return this.withFreshOnConflict(
      share,
      async (current) => {
        if (current.metadata.finalizers?.includes(FINALIZER)) return current;
        const body = {
          metadata: {
            resourceVersion: current.metadata.resourceVersion,
            finalizers: [...(current.metadata.finalizers ?? []), FINALIZER],
          },
        };
        return this.patchFinalizers(current, body, MERGE_PATCH, signal);
      },
      signal,
    );
  }

  removeFinalizer(share: CheckpointShare, signal?: AbortSignal): Promise<CheckpointShare | undefined> {
    return this.withFreshOnConflict(
      share,
      async (current) => {
        const index = current.metadata.finalizers?.indexOf(FINALIZER) ?? -1;
        if (index < 0) return current;
        // The test op makes the server refuse the removal if the list changed under us, so we
        // never remove someone else's finalizer by index.
        const body = [
          { op: 'test', path: `/metadata/finalizers/${index}`, value: FINALIZER },
          { op: 'remove', path: `/metadata/finalizers/${index}` },
        ];
        try {
          const updated = await this.patchFinalizers(current, body, JSON_PATCH, signal);
          return updated.metadata.deletionTimestamp && (updated.metadata.finalizers ?? []).length === 0
            ? undefined
            : updated;
        } catch (error: unknown) {
          if (kubeStatus(error) === 404) return undefined;
          throw error;
        }
      },
      signal,
    );
  }

  private async patchFinalizers(
    current: CheckpointShare,
    body: unknown,
    strategy: typeof MERGE_PATCH,
    signal: AbortSignal | undefined,
  ): Promise<CheckpointShare> {
    return (await withDeadline(
      `finalizer patch of ${nameOf(current)}`,
      this.callTimeoutMs,
      signal,
      (options) =>
        this.api.patchNamespacedCustomObject(
          { ...this.ref(current), body, fieldManager: this.fieldManager },
          options,
        ),
      strategy,
    )) as CheckpointShare;
  }

  /**
   * A 409 is not retried here: the status was computed from the object as it was, and someone
   * changed it since (a spec edit, a deletion). The pass fails and runs again on fresh data.
   */
  async writeStatus(
    share: CheckpointShare,
    status: CheckpointShareStatus,
    signal?: AbortSignal,
  ): Promise<CheckpointShare> {
    const body = { metadata: { resourceVersion: share.metadata.resourceVersion }, status };
    return (await withDeadline(
      `status write of ${nameOf(share)}`,
      this.callTimeoutMs,
      signal,
      (options) =>
        this.api.patchNamespacedCustomObjectStatus(
          { ...this.ref(share), body, fieldManager: this.fieldManager },
          options,
        ),
      MERGE_PATCH,
    )) as CheckpointShare;
  }
}
