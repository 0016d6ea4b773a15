import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { formatErrors, validateCheckpointShare } from '../src/crd/validate.js';

const examplesDir = new URL('../../../examples/', import.meta.url);
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, examplesDir), 'utf8')).map((doc, i) => ({
      file: `${file}#${i}`,
      manifest: doc.toJS() as unknown,
    })),
  );

function share(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'checkpointshare.io/v1alpha1',
    kind: 'CheckpointShare',
    metadata: { name: 'a-share', namespace: 'ml' },
    spec,
    ...extra,
  };
}

const CKPT = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';

describe('examples/', () => {
  it('holds at least five manifests covering every mode and policy', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    const specs = examples.map((e) => (e.manifest as { spec: Record<string, unknown> }).spec);
    expect(specs.some((s) => s.mode === 'Authoritative')).toBe(true);
    expect(specs.some((s) => s.deletionPolicy === 'Orphan' && s.suspend === true)).toBe(true);
  });

  it.each(examples)('$file is valid', ({ manifest }) => {
    expect(validateCheckpointShare(manifest).errors).toEqual([]);
  });
});

describe('defaults', () => {
  it('fills mode, deletionPolicy, suspend and projectIds as the API server would', () => {
    const { object, errors } = validateCheckpointShare(share({ checkpoint: CKPT }));
    expect(errors).toEqual([]);
    expect(object.spec).toEqual({
      checkpoint: CKPT,
      projectIds: [],
      mode: 'Managed',
      deletionPolicy: 'Revoke',
      suspend: false,
    });
  });

  it('keeps explicit values and does not change the input', () => {
    const input = share({ checkpoint: CKPT, mode: 'Authoritative', suspend: true });
    const { object } = validateCheckpointShare(input);
    expect(object.spec.mode).toBe('Authoritative');
    expect(object.spec.suspend).toBe(true);
    expect((input.spec as Record<string, unknown>).deletionPolicy).toBeUndefined();
  });

  it('prunes unknown fields without error when asked to ignore them', () => {
    const { object, errors, unknownFields } = validateCheckpointShare(
      share({ checkpoint: CKPT, colour: 'blue' }),
      'Ignore',
    );
    expect(errors).toEqual([]);
    expect(unknownFields).toEqual(['spec.colour']);
    expect(object.spec).not.toHaveProperty('colour');
  });
});

const tooMany = Array.from({ length: 1001 }, (_, i) => `proj_p${i}`);

describe('invalid manifests are rejected with a message naming the field', () => {
  it.each([
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
      says: 'must be of type string',
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
    },
    {
      reason: 'unknown top-level field',
      manifest: share({ checkpoint: CKPT }, { extra: true }),
      field: 'extra',
      says: 'field not declared in schema',
    },
    {
      reason: 'wrong apiVersion',
      manifest: share({ checkpoint: CKPT }, { apiVersion: 'checkpointshare.io/v1' }),
      field: 'apiVersion',
      says: 'Unsupported value',
    },
    {
      reason: 'wrong kind',
      manifest: share({ checkpoint: CKPT }, { kind: 'ModelShare' }),
      field: 'kind',
      says: 'Unsupported value',
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
      says: 'RFC 1123',
    },
    {
      reason: 'spec is a list',
      manifest: share({}, { spec: [CKPT] }),
      field: 'spec',
      says: 'must be of type object',
    },
  ])('$reason', ({ manifest, field, says }) => {
    const { errors } = validateCheckpointShare(manifest);
    const hit = errors.find((e) => e.field === field);
    expect(hit, `no error for ${field} in ${JSON.stringify(errors)}`).toBeDefined();
    expect(hit?.message.startsWith(`${field}: `) || hit?.message.startsWith(field)).toBe(true);
    expect(hit?.message).toContain(says);
  });

  it.each([
    { reason: 'a millisecond would spend the request budget alone', interval: '1ms' },
    { reason: 'just under the floor', interval: '29s' },
    { reason: 'sub-second', interval: '500ms' },
    { reason: 'a fraction of a minute under the floor', interval: '0.4m' },
    { reason: 'zero', interval: '0s' },
  ])('interval $interval is refused by the CRD rule: $reason', ({ interval }) => {
    const { errors } = validateCheckpointShare(share({ checkpoint: CKPT, interval }));
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^spec\.interval: Invalid value: "string": must be at least 30s/),
    ]);
  });

  it.each([
    { reason: 'the floor itself', interval: '30s' },
    { reason: 'a minute', interval: '1m' },
    { reason: 'hours and minutes', interval: '1h30m' },
    { reason: 'a fraction of an hour', interval: '1.5h' },
    { reason: "Go's largest duration", interval: '2562047h' },
  ])('interval $interval is accepted: $reason', ({ interval }) => {
    expect(validateCheckpointShare(share({ checkpoint: CKPT, interval })).errors).toEqual([]);
  });

  it.each([
    { reason: 'past the range of a Go duration', interval: '2562048h', says: 'duration out of range' },
    { reason: 'no unit: the pattern and the rule both refuse it', interval: '10', says: 'should match' },
  ])('interval $interval is refused: $reason', ({ interval, says }) => {
    const { errors } = validateCheckpointShare(share({ checkpoint: CKPT, interval }));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.field === 'spec.interval')).toBe(true);
    expect(errors.map((e) => e.message).join('\n')).toContain(says);
  });

  it('skips the CEL rules, and says so, when another field has the wrong type, as the API server does', () => {
    const { errors } = validateCheckpointShare(share({ checkpoint: CKPT, interval: '1ms', suspend: 'yes' }));
    expect(errors.map((e) => e.message)).toEqual([
      'spec.suspend: Invalid value: "string": spec.suspend in body must be of type boolean: "string"',
      '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });

  it('reports every problem of a manifest at once, in one readable line', () => {
    const { errors } = validateCheckpointShare(
      share({ checkpoint: 'nope', projectIds: ['x'], interval: '1ms' }),
    );
    expect(errors.map((e) => e.field)).toEqual(['spec.checkpoint', 'spec.projectIds[0]', 'spec.interval']);
    expect(formatErrors('CheckpointShare', 'a-share', errors)).toMatch(
      /^CheckpointShare\.checkpointshare\.io "a-share" is invalid: \[spec\.checkpoint: .*, spec\.projectIds\[0\]: .*, spec\.interval: .*\]$/,
    );
  });
});
