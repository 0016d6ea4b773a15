import { isCelError, run } from '@bufbuild/cel';
import { loadCrd, loadPolicyCrd, storageVersion } from '@checkpoint-share/sandbox/crd';
import { describe, expect, it } from 'vitest';
import {
  API_VERSION,
  CRD_NAME,
  DEFAULT_DELETION_POLICY,
  DEFAULT_MODE,
  DEFAULT_POLICY_MODES,
  DELETION_POLICIES,
  GROUP,
  KIND,
  LIST_KIND,
  MAX_PROJECT_IDS,
  MODES,
  PLURAL,
  POLICY_CRD_NAME,
  POLICY_KIND,
  POLICY_LIST_KIND,
  POLICY_PLURAL,
  POLICY_PRINTER_COLUMNS,
  POLICY_SHORT_NAME,
  POLICY_SINGULAR,
  PRINTER_COLUMNS,
  SHORT_NAME,
  SINGULAR,
  VERSION,
} from '../../src/api/constants.js';
import { parseDuration } from '../../src/api/duration.js';
import type { StructuralSchema } from '../../src/schema/structural-schema.js';

const crd = loadCrd();
const version = storageVersion(crd);
const root = version.schema.openAPIV3Schema;
const spec = root.properties?.spec as StructuralSchema;
const status = root.properties?.status as StructuralSchema;

function field(schema: StructuralSchema, name: string): StructuralSchema {
  const child = schema.properties?.[name];
  if (!child) throw new Error(`schema has no field ${name}`);
  return child;
}

function everyField(schema: StructuralSchema, path: string): [string, StructuralSchema][] {
  const out: [string, StructuralSchema][] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    out.push([`${path}.${name}`, child]);
    out.push(...everyField(child, `${path}.${name}`));
  }
  if (schema.items) out.push(...everyField(schema.items, `${path}[]`));
  return out;
}

describe('the CRD in crds/ and the constants in src/api agree', () => {
  it.each([
    { reason: 'group', actual: crd.spec.group, expected: GROUP },
    { reason: 'kind', actual: crd.spec.names.kind, expected: KIND },
    { reason: 'list kind', actual: crd.spec.names.listKind, expected: LIST_KIND },
    { reason: 'plural', actual: crd.spec.names.plural, expected: PLURAL },
    { reason: 'singular', actual: crd.spec.names.singular, expected: SINGULAR },
    { reason: 'short name', actual: crd.spec.names.shortNames, expected: [SHORT_NAME] },
    {
      reason: 'no category, so `kubectl delete all --all` cannot delete shares (and revoke grants)',
      actual: crd.spec.names.categories ?? [],
      expected: [],
    },
    { reason: 'CRD name', actual: crd.metadata.name, expected: CRD_NAME },
    { reason: 'storage version', actual: version.name, expected: VERSION },
    { reason: 'apiVersion', actual: `${crd.spec.group}/${version.name}`, expected: API_VERSION },
    { reason: 'scope', actual: crd.spec.scope, expected: 'Namespaced' },
    { reason: 'served', actual: version.served, expected: true },
    { reason: 'status subresource', actual: version.subresources?.status, expected: {} },
    { reason: 'modes', actual: field(spec, 'mode').enum, expected: [...MODES] },
    { reason: 'default mode', actual: field(spec, 'mode').default, expected: DEFAULT_MODE },
    {
      reason: 'deletion policies',
      actual: field(spec, 'deletionPolicy').enum,
      expected: [...DELETION_POLICIES],
    },
    {
      reason: 'default deletion policy',
      actual: field(spec, 'deletionPolicy').default,
      expected: DEFAULT_DELETION_POLICY,
    },
    { reason: 'suspend default', actual: field(spec, 'suspend').default, expected: false },
    {
      reason: 'projectIds is a set',
      actual: field(spec, 'projectIds')['x-kubernetes-list-type'],
      expected: 'set',
    },
    { reason: 'projectIds bound', actual: field(spec, 'projectIds').maxItems, expected: MAX_PROJECT_IDS },
    {
      reason: 'project id pattern',
      actual: field(spec, 'projectIds').items?.pattern,
      expected: '^proj_[A-Za-z0-9]+$',
    },
    { reason: 'checkpoint required', actual: spec.required, expected: ['checkpoint'] },
    {
      reason: 'printer columns',
      actual: version.additionalPrinterColumns?.map((c) => ({
        name: c.name,
        jsonPath: c.jsonPath,
        ...(c.priority ? { priority: c.priority } : {}),
      })),
      expected: PRINTER_COLUMNS.map((c) => ({ ...c })),
    },
  ])('$reason', ({ actual, expected }) => {
    expect(actual).toEqual(expected);
  });

  it('declares every status field the README documents', () => {
    expect(Object.keys(status.properties ?? {}).sort()).toEqual(
      [
        'checkpoint',
        'conditions',
        'desiredCount',
        'failures',
        'grantedCount',
        'grants',
        'lastHandledReconcileAt',
        'managedProjects',
        'observedGeneration',
      ].sort(),
    );
    expect(Object.keys(field(status, 'grants').items?.properties ?? {})).toEqual([
      'projectId',
      'permissionId',
      'createdAt',
    ]);
    expect(Object.keys(field(status, 'failures').items?.properties ?? {})).toEqual([
      'projectId',
      'reason',
      'message',
    ]);
  });

  it('gives every spec and status field a description, so kubectl explain teaches it', () => {
    const missing = [...everyField(spec, 'spec'), ...everyField(status, 'status')]
      .filter(([, schema]) => !schema.description)
      .map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it.each([
    { reason: 'a named checkpoint', checkpoint: 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd', ok: true },
    {
      reason: 'a step checkpoint',
      checkpoint: 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd:ckpt-step-1000',
      ok: true,
    },
    { reason: 'no suffix', checkpoint: 'ft:gpt-4o-mini-2024-07-18:acme::B7R9VjQd', ok: true },
    { reason: 'a legacy id', checkpoint: 'ft-AF1WoRqd3aJAHsqc9NY7iL8F', ok: true },
    { reason: 'a base model', checkpoint: 'gpt-4o-mini', ok: false },
    { reason: 'a bad step', checkpoint: 'ft:gpt-4o:acme:x:abc:ckpt-step-x', ok: false },
    { reason: 'a suffix over 64 characters', checkpoint: `ft:gpt-4o:acme:${'a'.repeat(65)}:abc`, ok: false },
    { reason: 'trailing text', checkpoint: 'ft-abc/../x', ok: false },
  ])('the checkpoint pattern accepts $reason: $ok', ({ checkpoint, ok }) => {
    const pattern = new RegExp(field(spec, 'checkpoint').pattern ?? '');
    expect(pattern.test(checkpoint)).toBe(ok);
  });
});

describe('spec.interval: the CRD and the operator agree on what a duration is', () => {
  const interval = field(spec, 'interval');
  const pattern = new RegExp(interval.pattern ?? '');
  /** What a real API server accepts before the floor: the pattern, and CEL's (cel-go's) duration(). */
  const crdAccepts = (text: string) =>
    pattern.test(text) && !isCelError(run('duration(self)', { self: text }));

  it.each([
    { reason: 'seconds', text: '30s', ms: 30_000 },
    { reason: 'hours and minutes', text: '1h30m', ms: 5_400_000 },
    { reason: 'a fraction', text: '1.5h', ms: 5_400_000 },
    { reason: 'milliseconds', text: '300ms', ms: 300 },
    { reason: 'zero with a unit (the floor refuses it, not the syntax)', text: '0s', ms: 0 },
    { reason: "Go's largest whole hour", text: '2562047h', ms: 2_562_047 * 3_600_000 },
    { reason: 'past the range of a Go duration', text: '2562048h', ms: undefined },
    { reason: 'a bare number (Go takes "0", the CRD pattern does not)', text: '0', ms: undefined },
    { reason: 'no unit', text: '10', ms: undefined },
    { reason: 'days are not a Go unit', text: '1d', ms: undefined },
    { reason: 'microseconds: Go takes them, the CRD pattern does not', text: '1us', ms: undefined },
    { reason: 'a sign', text: '-30s', ms: undefined },
    { reason: 'a leading dot', text: '.5m', ms: undefined },
  ])('$text: $reason', ({ text, ms }) => {
    expect(parseDuration(text)).toBe(ms);
    expect(crdAccepts(text)).toBe(ms !== undefined);
  });

  it('states its floor in a CEL rule, with a message, and in the description kubectl explain shows', () => {
    expect(interval['x-kubernetes-validations']).toEqual([
      { rule: "duration(self) >= duration('30s')", message: expect.stringMatching(/^must be at least 30s/) },
    ]);
    expect(interval.description).toContain('at least 30s');
  });
});

describe('the CheckpointSharePolicy CRD in crds/ and the constants in src/api agree', () => {
  const policyCrd = loadPolicyCrd();
  const policyVersion = storageVersion(policyCrd);
  const policyRoot = policyVersion.schema.openAPIV3Schema;
  const policySpec = field(policyRoot, 'spec');

  it.each([
    { reason: 'group', actual: policyCrd.spec.group, expected: GROUP },
    { reason: 'cluster-scoped', actual: policyCrd.spec.scope, expected: 'Cluster' },
    { reason: 'kind', actual: policyCrd.spec.names.kind, expected: POLICY_KIND },
    { reason: 'list kind', actual: policyCrd.spec.names.listKind, expected: POLICY_LIST_KIND },
    { reason: 'plural', actual: policyCrd.spec.names.plural, expected: POLICY_PLURAL },
    { reason: 'singular', actual: policyCrd.spec.names.singular, expected: POLICY_SINGULAR },
    { reason: 'short name', actual: policyCrd.spec.names.shortNames, expected: [POLICY_SHORT_NAME] },
    { reason: 'CRD name', actual: policyCrd.metadata.name, expected: POLICY_CRD_NAME },
    { reason: 'storage version', actual: policyVersion.name, expected: VERSION },
    { reason: 'status subresource', actual: policyVersion.subresources?.status, expected: {} },
    {
      reason: 'printer columns',
      actual: policyVersion.additionalPrinterColumns?.map((c) => ({ name: c.name, jsonPath: c.jsonPath })),
      expected: POLICY_PRINTER_COLUMNS.map((c) => ({ ...c })),
    },
    { reason: 'modes enum', actual: field(policySpec, 'modes').items?.enum, expected: [...MODES] },
    {
      reason: 'modes default',
      actual: field(policySpec, 'modes').default,
      expected: [...DEFAULT_POLICY_MODES],
    },
    {
      reason: '1 to 100 checkpoint globs',
      actual: [field(policySpec, 'checkpoints').minItems, field(policySpec, 'checkpoints').maxItems],
      expected: [1, 100],
    },
    {
      reason: '1 to 1000 project globs',
      actual: [field(policySpec, 'projects').minItems, field(policySpec, 'projects').maxItems],
      expected: [1, 1000],
    },
  ])('$reason', ({ actual, expected }) => {
    expect(actual).toEqual(expected);
  });

  it('gives every field a description, so kubectl explain teaches it', () => {
    const undescribed = everyField(policyRoot, '')
      .filter(([path]) => path !== '.metadata')
      .filter(([, schema]) => !schema.description)
      .map(([path]) => path);
    expect(undescribed).toEqual([]);
  });
});
