/**
 * coordination.k8s.io/v1 Leases for leader election. acquireTime and renewTime are MicroTime:
 * a timestamp without exactly six fractional digits fails to decode (400), which is what a real
 * server answers to a client that sends a plain `Date`.
 */
import { type InvalidField, invalidMessage } from '../status.js';
import { ageColumn, nameColumn } from '../table.js';
import type { KubeObject } from '../types.js';
import { admitBuiltin, forbidden, integer, invalidField, object, string, typeMeta } from './builtin.js';
import {
  ALL_VERBS,
  BUILTIN_BEHAVIOUR,
  builtinUnsupportedField,
  identity,
  metadataFieldLabels,
  type ResourceType,
} from './resource-type.js';

const schema = object({
  ...typeMeta(),
  spec: object({
    holderIdentity: string,
    leaseDurationSeconds: integer,
    acquireTime: string,
    renewTime: string,
    leaseTransitions: integer,
    strategy: string,
    preferredHolder: string,
  }),
});

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}

function validateLease(obj: KubeObject): InvalidField[] {
  const spec = (obj.spec ?? {}) as LeaseSpec;
  const errors: InvalidField[] = [];
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0) {
    errors.push(
      invalidField('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'),
    );
  }
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0) {
    errors.push(
      invalidField('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'),
    );
  }
  if (spec.strategy !== undefined && spec.strategy !== 'OldestEmulationVersion') {
    errors.push({
      field: 'spec.strategy',
      type: 'FieldValueNotSupported',
      message: `spec.strategy: Unsupported value: ${JSON.stringify(spec.strategy)}: supported values: "OldestEmulationVersion"`,
    });
  }
  if (spec.preferredHolder && !spec.strategy) {
    errors.push(forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  }
  return errors;
}

export function leases(): ResourceType {
  return {
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    singular: 'lease',
    kind: 'Lease',
    listKind: 'LeaseList',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    storage: 'leases.coordination.k8s.io',
    ...BUILTIN_BEHAVIOUR,
    fieldLabels: new Map(metadataFieldLabels(true)),
    unsupportedFieldMessage: builtinUnsupportedField,
    admit: (obj, ctx) =>
      admitBuiltin(
        {
          kind: 'Lease',
          version: 'v1',
          schema,
          microTimeFields: ['spec.acquireTime', 'spec.renewTime'],
          validate: validateLease,
        },
        obj,
        ctx.old,
      ),
    invalidMessage: (name, errors) =>
      invalidMessage({ group: 'coordination.k8s.io', kind: 'Lease' }, name, errors),
    columns: [
      nameColumn,
      {
        name: 'Holder',
        type: 'string',
        description: 'holderIdentity contains the identity of the holder of a current lease.',
        cell: (o) => (o.spec as LeaseSpec | undefined)?.holderIdentity ?? '',
      },
      ageColumn,
    ],
    openApiSchema: schema,
    toStorage: identity,
    fromStorage: identity,
  };
}
