import { isRecord } from '../../../../src/schema/structural-schema.js';

/** ObjectMeta as the stand-in reads and writes it; unknown keys are caught by admission. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  /** null where the real server writes null: bookmarks and PartialObjectMetadata of nothing. */
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** Any API object: the stand-in keeps every kind as plain JSON, like the API server keeps CRs. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export function isKubeObject(value: unknown): value is KubeObject {
  return isRecord(value) && isRecord(value.metadata);
}

export function nameOf(obj: KubeObject): string {
  return obj.metadata.name ?? '';
}

export function namespaceOf(obj: KubeObject): string {
  return obj.metadata.namespace ?? '';
}

/** JSON with sorted keys, so two objects compare equal whatever order their fields were written in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isRecord(v)) return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, v[k]]),
    );
  });
}

export function sameContent(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** metav1.Time: RFC 3339 with whole seconds, as the API server writes timestamps. */
export function kubeTime(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Reads a dotted path such as involvedObject.name; undefined if any step is missing. */
export function readPath(obj: unknown, path: string): unknown {
  let cursor: unknown = obj;
  for (const step of path.split('.')) {
    if (!isRecord(cursor)) return undefined;
    cursor = cursor[step];
  }
  return cursor;
}
