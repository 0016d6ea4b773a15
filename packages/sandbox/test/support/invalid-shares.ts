/**
 * Invalid CheckpointShares, each with the field the API server must name and words of its
 * message. The stand-in's validator is held to them (validation.test.ts), and so is the real
 * kube-apiserver (test/cluster/crd-validation.test.ts), so the two cannot drift apart unseen.
 */

export const CKPT = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';

export function share(
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'checkpointshare.io/v1alpha1',
    kind: 'CheckpointShare',
    metadata: { name: 'a-share', namespace: 'ml' },
    spec,
    ...extra,
  };
}

const tooMany = Array.from({ length: 1001 }, (_, i) => `proj_p${i}`);

export interface InvalidShare {
  reason: string;
  manifest: Record<string, unknown>;
  field: string;
  says: string;
  /**
   * Where the API server refuses the request before validating the object (400 Bad Request:
   * strict decoding, an unserved version), the words its Status says instead of `says`.
   */
  refusedAs?: string;
}

export const INVALID_SHARES: InvalidShare[] = [
  {
    reason: 'missing checkpoint',
    manifest: share({ projectIds: ['proj_a'] }),
    field: 'spec.checkpoint',
    says: 'Required value',
  },
  {
    reason: 'missing spec',
    manifest: share({}, { spec: undefined }),
    field: 'spec',
    says: 'Required value',
  },
  {
    reason: 'checkpoint is a base model',
    manifest: share({ checkpoint: 'gpt-4o-mini' }),
    field: 'spec.checkpoint',
    says: 'should match',
  },
  {
    reason: 'checkpoint has a bad step',
    manifest: share({ checkpoint: `${CKPT}:ckpt-step-` }),
    field: 'spec.checkpoint',
    says: 'should match',
  },
  {
    reason: 'checkpoint is a number',
    manifest: share({ checkpoint: 42 }),
    field: 'spec.checkpoint',
    says: 'must be of type string: "integer"',
  },
  {
    reason: 'project id without prefix',
    manifest: share({ checkpoint: CKPT, projectIds: ['abc123'] }),
    field: 'spec.projectIds[0]',
    says: 'should match',
  },
  {
    reason: 'project id with a dash',
    manifest: share({ checkpoint: CKPT, projectIds: ['proj_a', 'proj_b-c'] }),
    field: 'spec.projectIds[1]',
    says: 'should match',
  },
  {
    reason: 'duplicate project ids',
    manifest: share({ checkpoint: CKPT, projectIds: ['proj_a', 'proj_b', 'proj_a'] }),
    field: 'spec.projectIds[2]',
    says: 'Duplicate value: "proj_a"',
  },
  {
    reason: 'project ids not a list',
    manifest: share({ checkpoint: CKPT, projectIds: 'proj_a' }),
    field: 'spec.projectIds',
    says: 'must be of type array',
  },
  {
    reason: 'project id not a string',
    manifest: share({ checkpoint: CKPT, projectIds: [7] }),
    field: 'spec.projectIds[0]',
    says: 'must be of type string',
  },
  {
    reason: 'too many projects',
    manifest: share({ checkpoint: CKPT, projectIds: tooMany }),
    field: 'spec.projectIds',
    says: 'Too many: 1001: must have at most 1000 items',
  },
  {
    reason: 'unknown mode',
    manifest: share({ checkpoint: CKPT, mode: 'Exclusive' }),
    field: 'spec.mode',
    says: 'supported values: "Managed", "Authoritative"',
  },
  {
    reason: 'lower-case mode',
    manifest: share({ checkpoint: CKPT, mode: 'managed' }),
    field: 'spec.mode',
    says: 'Unsupported value',
  },
  {
    reason: 'unknown deletion policy',
    manifest: share({ checkpoint: CKPT, deletionPolicy: 'Delete' }),
    field: 'spec.deletionPolicy',
    says: 'supported values: "Revoke", "Orphan"',
  },
  {
    reason: 'suspend as a string',
    manifest: share({ checkpoint: CKPT, suspend: 'yes' }),
    field: 'spec.suspend',
    says: 'must be of type boolean',
  },
  {
    reason: 'interval without unit',
    manifest: share({ checkpoint: CKPT, interval: '10' }),
    field: 'spec.interval',
    says: 'should match',
  },
  {
    reason: 'interval in days',
    manifest: share({ checkpoint: CKPT, interval: '1d' }),
    field: 'spec.interval',
    says: 'should match',
  },
  {
    reason: 'unknown spec field',
    manifest: share({ checkpoint: CKPT, projects: ['proj_a'] }),
    field: 'spec.projects',
    says: 'field not declared in schema',
    refusedAs: 'strict decoding error: unknown field "spec.projects"',
  },
  {
    reason: 'unknown top-level field',
    manifest: share({ checkpoint: CKPT }, { extra: true }),
    field: 'extra',
    says: 'field not declared in schema',
    refusedAs: 'strict decoding error: unknown field "extra"',
  },
  {
    reason: 'wrong apiVersion',
    manifest: share({ checkpoint: CKPT }, { apiVersion: 'checkpointshare.io/v1' }),
    field: 'apiVersion',
    says: 'Unsupported value',
    refusedAs: 'CheckpointShare in version "v1" cannot be handled as a CheckpointShare',
  },
  {
    reason: 'wrong kind',
    manifest: share({ checkpoint: CKPT }, { kind: 'ModelShare' }),
    field: 'kind',
    says: 'Invalid value: "ModelShare": must be CheckpointShare',
  },
  {
    reason: 'missing name',
    manifest: share({ checkpoint: CKPT }, { metadata: { namespace: 'ml' } }),
    field: 'metadata.name',
    says: 'Required value',
  },
  {
    reason: 'upper-case name',
    manifest: share({ checkpoint: CKPT }, { metadata: { name: 'Weather' } }),
    field: 'metadata.name',
    says: "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is",
  },
  {
    reason: 'spec is a list',
    manifest: share({}, { spec: [CKPT] }),
    field: 'spec',
    says: 'must be of type object',
  },
];

/** Intervals the pattern accepts but the CRD's CEL rule refuses (under 30s). */
export const INTERVALS_UNDER_THE_FLOOR = [
  { reason: 'a millisecond would spend the request budget alone', interval: '1ms' },
  { reason: 'just under the floor', interval: '29s' },
  { reason: 'sub-second', interval: '500ms' },
  { reason: 'a fraction of a minute under the floor', interval: '0.4m' },
  { reason: 'zero', interval: '0s' },
];
