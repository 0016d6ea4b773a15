/**
 * One store for every kind, in the shape of the API server's etcd: objects by bucket and key,
 * one cluster-wide revision that every write advances, and a change feed the watch hub reads.
 * Values are copied in and out so no caller can change a stored object behind the store's back.
 */
import type { KubeObject } from './types.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  type: ChangeType;
  /** The bucket, shared by resources that share storage. */
  storage: string;
  /** The revision this change was written at. */
  revision: number;
  /** In storage form; for DELETED the last stored state, stamped with the deletion revision. */
  object: KubeObject;
  /** The state before this change (MODIFIED and DELETED). */
  previous?: KubeObject;
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class ObjectStore {
  private revision = 0;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private readonly listeners = new Set<(change: Change) => void>();

  /** The newest revision: what a list returns as its resourceVersion. */
  get resourceVersion(): number {
    return this.revision;
  }

  get(storage: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.buckets.get(storage)?.get(keyOf(namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  /** Objects in key order (namespace, then name), as etcd returns a range. */
  list(storage: string, namespace?: string): KubeObject[] {
    const bucket = this.buckets.get(storage);
    if (!bucket) return [];
    return [...bucket.entries()]
      .filter(([, obj]) => namespace === undefined || (obj.metadata.namespace ?? '') === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => structuredClone(obj));
  }

  /**
   * Writes one change at the next revision and returns the stored object. The caller has
   * already decided the change is allowed; the store only orders and publishes it.
   */
  write(type: ChangeType, storage: string, object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name ?? '';
    let bucket = this.buckets.get(storage);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(storage, bucket);
    }
    const key = keyOf(namespace, name);
    const previous = bucket.get(key);
    this.revision += 1;
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(this.revision);
    if (type === 'DELETED') {
      bucket.delete(key);
    } else {
      bucket.set(key, stored);
    }
    const change: Change = {
      type,
      storage,
      revision: this.revision,
      object: stored,
      ...(previous ? { previous } : {}),
    };
    for (const listener of this.listeners) listener(change);
    return structuredClone(stored);
  }

  onChange(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
