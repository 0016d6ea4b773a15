/**
 * ObjectMeta rules the API server applies to every kind: which fields exist, what labels and
 * finalizers may look like, which fields the server owns (uid, creationTimestamp, generation,
 * deletionTimestamp) and keeps whatever a client sends.
 */
import { randomUUID } from 'node:crypto';
import { validateMetadata } from '../../../../src/schema/object-meta.js';
import { type FieldError, isRecord } from '../../../../src/schema/structural-schema.js';
import { labelKeyProblems, labelValueProblems } from './selectors.js';
import type { KubeObject, ObjectMeta } from './types.js';

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export interface MetadataAdmission {
  errors: FieldError[];
  unknownFields: string[];
  decodeErrors: string[];
}

/**
 * Checks and prunes metadata in place. `validateName` is src/api's validateMetadata unless the
 * caller validates names elsewhere (CheckpointShares do, in validateCheckpointShare) or by
 * another rule (Namespaces are DNS labels).
 */
export function admitMetadata(
  obj: KubeObject,
  validateName: (meta: unknown) => FieldError[] = validateMetadata,
): MetadataAdmission {
  const meta = obj.metadata;
  const unknownFields: string[] = [];
  const decodeErrors: string[] = [];
  for (const key of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(key)) {
      unknownFields.push(`metadata.${key}`);
      delete meta[key];
    }
  }
  for (const key of ['labels', 'annotations'] as const) {
    const map = meta[key];
    if (map === undefined || map === null) continue;
    if (!isRecord(map) || Object.values(map).some((v) => typeof v !== 'string')) {
      decodeErrors.push(
        `json: cannot unmarshal into Go struct field ObjectMeta.metadata.${key} of type string`,
      );
    }
  }
  if (meta.finalizers !== undefined && meta.finalizers !== null) {
    if (!Array.isArray(meta.finalizers) || meta.finalizers.some((f) => typeof f !== 'string')) {
      decodeErrors.push(
        'json: cannot unmarshal into Go struct field ObjectMeta.metadata.finalizers of type string',
      );
    }
  }
  if (decodeErrors.length > 0) return { errors: [], unknownFields, decodeErrors };

  const errors = validateName(meta);
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    for (const problem of labelKeyProblems(key)) {
      errors.push(fieldInvalid('metadata.labels', key, problem));
    }
    for (const problem of labelValueProblems(value)) {
      errors.push(fieldInvalid('metadata.labels', value, problem));
    }
  }
  for (const key of Object.keys(meta.annotations ?? {})) {
    for (const problem of labelKeyProblems(key)) {
      errors.push(fieldInvalid('metadata.annotations', key, problem));
    }
  }
  (meta.finalizers ?? []).forEach((finalizer, i) => {
    if (STANDARD_FINALIZERS.has(finalizer)) return;
    const problems = labelKeyProblems(finalizer);
    for (const problem of problems)
      errors.push(fieldInvalid(`metadata.finalizers[${i}]`, finalizer, problem));
  });
  return { errors, unknownFields, decodeErrors };
}

function fieldInvalid(field: string, value: string, detail: string): FieldError {
  return {
    field,
    type: 'FieldValueInvalid',
    message: `${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`,
  };
}

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** names.SimpleNameGenerator: the prefix plus five characters that cannot spell words. */
export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) {
    suffix += GENERATE_NAME_ALPHABET.charAt(Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length));
  }
  return `${prefix}${suffix}`;
}

/** What a create sets regardless of the request (rest.BeforeCreate / FillObjectMetaSystemFields). */
export function setCreateSystemFields(meta: ObjectMeta, tracksGeneration: boolean, now: string): void {
  meta.uid = randomUUID();
  meta.creationTimestamp = now;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (tracksGeneration) {
    meta.generation = 1;
  } else {
    delete meta.generation;
  }
}

/** What an update can never change (rest.BeforeUpdate): the server keeps the stored values. */
export function keepSystemFields(next: ObjectMeta, stored: ObjectMeta): void {
  const target: Record<string, unknown> = next;
  for (const key of [
    'uid',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'generation',
  ] as const) {
    if (stored[key] === undefined) {
      delete target[key];
    } else {
      target[key] = stored[key];
    }
  }
  delete next.selfLink;
}

/** Finalizers present in `next` but not in `stored`. */
export function addedFinalizers(next: ObjectMeta, stored: ObjectMeta): string[] {
  const before = new Set(stored.finalizers ?? []);
  return (next.finalizers ?? []).filter((f) => !before.has(f));
}

/** Go's %#v of a []string, which the real "no new finalizers" message prints. */
export function goStringSlice(values: readonly string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}
