import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { formatErrors, validateCheckpointShare } from '../src/crd/validate.js';
import { CKPT, INTERVALS_UNDER_THE_FLOOR, INVALID_SHARES, share } from './support/invalid-shares.js';

const examplesDir = new URL('../../../examples/', import.meta.url);
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, examplesDir), 'utf8')).map((doc, i) => ({
      file: `${file}#${i}`,
      manifest: doc.toJS() as unknown,
    })),
  );

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

describe('invalid manifests are rejected with a message naming the field', () => {
  it.each(INVALID_SHARES)('$reason', ({ manifest, field, says }) => {
    const { errors } = validateCheckpointShare(manifest);
    const hit = errors.find((e) => e.field === field);
    expect(hit, `no error for ${field} in ${JSON.stringify(errors)}`).toBeDefined();
    expect(hit?.message.startsWith(`${field}: `) || hit?.message.startsWith(field)).toBe(true);
    expect(hit?.message).toContain(says);
  });

  it.each(INTERVALS_UNDER_THE_FLOOR)(
    'interval $interval is refused by the CRD rule: $reason',
    ({ interval }) => {
      const { errors } = validateCheckpointShare(share({ checkpoint: CKPT, interval }));
      expect(errors.map((e) => e.message)).toEqual([
        `spec.interval: Invalid value: ${JSON.stringify(interval)}: must be at least 30s, so one object cannot spend the organisation's OpenAI request budget`,
      ]);
    },
  );

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
    {
      reason: 'past the range of a Go duration',
      interval: '2562048h',
      says: `Invalid value: "string": type conversion error from 'string' to 'google.protobuf.Duration' evaluating rule`,
    },
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

  it('skips the CEL rules, and says so, when metadata.name is missing, as the API server does', () => {
    const { errors } = validateCheckpointShare(
      share({ checkpoint: CKPT, interval: '1ms' }, { metadata: { namespace: 'ml' } }),
    );
    expect(errors.map((e) => e.message)).toEqual([
      'metadata.name: Required value: name or generateName is required',
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
