import type { CheckpointShare } from './checkpoint-share.js';
import { storageVersion } from './crd.js';
import { API_VERSION, KIND } from './identity.js';
import {
  type FieldError,
  isRecord,
  type UnknownFieldPolicy,
  validateStructural,
} from './structural-schema.js';

export type { FieldError, UnknownFieldPolicy } from './structural-schema.js';

export interface ManifestValidation {
  /** The manifest with the CRD's defaults applied and undeclared fields pruned. */
  object: CheckpointShare;
  errors: FieldError[];
  unknownFields: string[];
}

/** metadata.name of a custom resource: a DNS-1123 subdomain, as the API server requires. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

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

export function validateMetadata(metadata: unknown): FieldError[] {
  if (!isRecord(metadata)) {
    return [{ field: 'metadata', type: 'FieldValueRequired', message: 'metadata: Required value' }];
  }
  const name = metadata.name ?? metadata.generateName;
  if (typeof name !== 'string' || name === '') {
    return [
      {
        field: 'metadata.name',
        type: 'FieldValueRequired',
        message: 'metadata.name: Required value: name or generateName is required',
      },
    ];
  }
  const problems: FieldError[] = [];
  if (name.length > 253 || !DNS_SUBDOMAIN.test(metadata.generateName ? `${name}x` : name)) {
    problems.push({
      field: 'metadata.name',
      type: 'FieldValueInvalid',
      message: `metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS_SUBDOMAIN.source.slice(1, -1)}')`,
    });
  }
  if (
    metadata.namespace !== undefined &&
    (typeof metadata.namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(metadata.namespace))
  ) {
    problems.push({
      field: 'metadata.namespace',
      type: 'FieldValueInvalid',
      message: `metadata.namespace: Invalid value: ${JSON.stringify(metadata.namespace)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
    });
  }
  return problems;
}

/** One line per problem, for CLI output and Kubernetes Status messages. */
export function formatErrors(kind: string, name: string, errors: readonly FieldError[]): string {
  const list = errors.map((e) => e.message);
  const detail = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return `${kind}.${API_VERSION.split('/')[0]} "${name}" is invalid: ${detail}`;
}
