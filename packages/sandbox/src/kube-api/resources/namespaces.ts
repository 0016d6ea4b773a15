import { type FieldError, isRecord } from '../../../../../src/schema/structural-schema.js';
import { invalidMessage } from '../status.js';
import { ageColumn, nameColumn } from '../table.js';
import type { KubeObject } from '../types.js';
import { admitBuiltin, object, string, typeMeta } from './builtin.js';
import {
  BUILTIN_BEHAVIOUR,
  builtinUnsupportedField,
  identity,
  metadataFieldLabels,
  type ResourceType,
} from './resource-type.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function validateNamespaceName(meta: unknown): FieldError[] {
  const name = isRecord(meta) ? meta.name : undefined;
  if (typeof name !== 'string' || name === '') {
    return [
      {
        field: 'metadata.name',
        type: 'FieldValueRequired',
        message: 'metadata.name: Required value: name or generateName is required',
      },
    ];
  }
  if (name.length > 63 || !DNS_LABEL.test(name)) {
    return [
      {
        field: 'metadata.name',
        type: 'FieldValueInvalid',
        message: `metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
      },
    ];
  }
  return [];
}

const schema = object({
  ...typeMeta(),
  spec: object({ finalizers: { type: 'array', items: string } }),
  status: object({
    phase: string,
    conditions: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  }),
});

/**
 * Namespaces exist so that `kubectl get ns` and namespace-scoped clients behave; they cannot be
 * deleted here because the stand-in has no namespace controller to empty them.
 */
export function namespaces(): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    namespaced: false,
    shortNames: ['ns'],
    categories: [],
    verbs: ['create', 'get', 'list', 'patch', 'update', 'watch'],
    storage: 'namespaces',
    ...BUILTIN_BEHAVIOUR,
    statusSubresource: true,
    fieldLabels: new Map([
      ...metadataFieldLabels(false),
      ['status.phase', (o: KubeObject) => String((o.status as { phase?: string } | undefined)?.phase ?? '')],
    ]),
    unsupportedFieldMessage: builtinUnsupportedField,
    admit: (obj, ctx) =>
      admitBuiltin(
        { kind: 'Namespace', version: 'v1', schema, validateName: validateNamespaceName },
        obj,
        ctx.old,
      ),
    invalidMessage: (name, errors) => invalidMessage({ group: '', kind: 'Namespace' }, name, errors),
    columns: [
      nameColumn,
      {
        name: 'Status',
        type: 'string',
        description: 'The status of the namespace',
        cell: (o) => (o.status as { phase?: string } | undefined)?.phase ?? '',
      },
      ageColumn,
    ],
    openApiSchema: schema,
    toStorage: identity,
    fromStorage: identity,
    prepareForCreate(obj) {
      const name = obj.metadata.name ?? '';
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': name };
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
    },
  };
}
