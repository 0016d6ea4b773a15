/**
 * apiextensions.k8s.io/v1 CustomResourceDefinitions, read-only: the stand-in serves exactly the
 * CRD in crds/ (that is what makes CheckpointShares exist here), so `kubectl get crd` and
 * `kubectl get crd NAME -o yaml` answer as on a cluster where it is installed and established,
 * while installing, changing or deleting one is refused with a message saying the install step
 * does not apply to the sandbox.
 */

import type { StructuralSchema } from '../../../../../src/schema/structural-schema.js';
import { type CustomResourceDefinition, loadCrd } from '../../crd/crd.js';
import { invalidMessage } from '../status.js';
import { nameColumn } from '../table.js';
import type { KubeObject } from '../types.js';
import { admitBuiltin, object, stringMap, typeMeta } from './builtin.js';
import {
  BUILTIN_BEHAVIOUR,
  builtinUnsupportedField,
  identity,
  metadataFieldLabels,
  type ResourceType,
} from './resource-type.js';

export const CRD_READ_ONLY_REASON =
  'the sandbox\'s CustomResourceDefinitions are pre-installed and read-only: skip "kubectl apply -k crds/" against the sandbox';

const schema: StructuralSchema = {
  ...object({
    ...typeMeta(),
    spec: {
      ...stringMap(),
      description: 'The kind the definition adds to the API: group, names, versions and their schemas.',
    },
    status: { ...stringMap(), description: 'The names the server accepted and whether the kind is served.' },
  }),
  description:
    'CustomResourceDefinition represents a resource that should be exposed on the API server. Its name MUST be in the format <.spec.name>.<.spec.group>.',
};

export function customResourceDefinitions(): ResourceType {
  return {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition',
    listKind: 'CustomResourceDefinitionList',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    verbs: ['get', 'list', 'watch'],
    storage: 'customresourcedefinitions.apiextensions.k8s.io',
    ...BUILTIN_BEHAVIOUR,
    tracksGeneration: true,
    fieldLabels: new Map(metadataFieldLabels(false)),
    unsupportedFieldMessage: builtinUnsupportedField,
    // Writes are refused before admission; this admits what a direct store write would hold.
    admit: (obj, ctx) =>
      admitBuiltin({ kind: 'CustomResourceDefinition', version: 'v1', schema }, obj, ctx.old),
    invalidMessage: (name, errors) =>
      invalidMessage({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }, name, errors),
    // What the API server's default table convertor prints for kinds without printer columns.
    columns: [
      nameColumn,
      {
        name: 'Created At',
        type: 'date',
        description:
          'CreationTimestamp is a timestamp representing the server time when this object was created.',
        cell: (o) => o.metadata.creationTimestamp ?? null,
      },
    ],
    openApiSchema: schema,
    readOnlyReason: CRD_READ_ONLY_REASON,
    toStorage: identity,
    fromStorage: identity,
  };
}

/**
 * The CRD from crds/ as the API server stores it once installed: the `None` conversion strategy
 * it defaults, and the status its controllers write once the names are accepted and the kind
 * is served. Server-owned metadata (uid, resourceVersion, creationTimestamp) comes from the store.
 */
export function preinstalledCrd(now: string, crd: CustomResourceDefinition = loadCrd()): KubeObject {
  const copy = structuredClone(crd);
  const names = copy.spec.names;
  return {
    ...copy,
    metadata: { ...copy.metadata },
    spec: { conversion: { strategy: 'None' }, ...copy.spec },
    status: {
      acceptedNames: structuredClone(names),
      conditions: [
        {
          type: 'NamesAccepted',
          status: 'True',
          reason: 'NoConflicts',
          message: 'no conflicts found',
          lastTransitionTime: now,
        },
        {
          type: 'Established',
          status: 'True',
          reason: 'InitialNamesAccepted',
          message: 'the initial names have been accepted',
          lastTransitionTime: now,
        },
      ],
      storedVersions: copy.spec.versions.filter((v) => v.storage).map((v) => v.name),
    },
  };
}
