import { validateMetadata } from '../../../../src/schema/object-meta.js';
import {
  type FieldError,
  isRecord,
  type UnknownFieldPolicy,
  validateStructural,
} from '../../../../src/schema/structural-schema.js';
import type { CheckpointShare } from './checkpoint-share.js';
import { storageVersion } from './crd.js';
import { API_VERSION, KIND } from './identity.js';

export type { FieldError, UnknownFieldPolicy } from '../../../../src/schema/structural-schema.js';

export interface ManifestValidation {
  /** The manifest with the CRD's defaults applied and undeclared fields pruned. */
  object: CheckpointShare;
  errors: FieldError[];
  unknownFields: string[];
}

/**
 * Validates a CheckpointShare manifest the way the API server would with the CRD from crds/:
 * identity, metadata.name, then the openAPIV3Schema with defaults, pruning and list-type rules.
 */
export function validateCheckpointShare(
  manifest: unknown,
  unknownFields: UnknownFieldPolicy = 'Strict',
): ManifestValidation {
  const errors: FieldError[] = [];
  if (!isRecord(manifest)) {
    errors.push({ field: '', type: 'FieldValueTypeInvalid', message: 'manifest must be an object' });
    return { object: manifest as unknown as CheckpointShare, errors, unknownFields: [] };
  }
  if (manifest.apiVersion !== API_VERSION) {
    errors.push({
      field: 'apiVersion',
      type: 'FieldValueNotSupported',
      message: `apiVersion: Unsupported value: ${JSON.stringify(manifest.apiVersion ?? '')}: supported values: "${API_VERSION}"`,
    });
  }
  if (manifest.kind !== KIND) {
    errors.push({
      field: 'kind',
      type: 'FieldValueInvalid',
      message: `kind: Invalid value: ${JSON.stringify(manifest.kind ?? '')}: must be ${KIND}`,
    });
  }
  errors.push(...validateMetadata(manifest.metadata));
  const result = validateStructural(storageVersion().schema.openAPIV3Schema, manifest, unknownFields, errors);
  return {
    object: result.value as CheckpointShare,
    errors: [...errors, ...result.errors],
    unknownFields: result.unknownFields,
  };
}

/** One line per problem, for CLI output and Kubernetes Status messages. */
export function formatErrors(kind: string, name: string, errors: readonly FieldError[]): string {
  const list = errors.map((e) => e.message);
  const detail = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return `${kind}.${API_VERSION.split('/')[0]} "${name}" is invalid: ${detail}`;
}
