import { isRecord } from '../../../../../src/schema/structural-schema.js';
import { type InvalidField, invalidMessage } from '../status.js';
import { ageColumn, nameColumn } from '../table.js';
import type { KubeObject } from '../types.js';
import { admitBuiltin, boolean, invalidField, object, string, stringMap, typeMeta } from './builtin.js';
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
  type: string,
  immutable: boolean,
  data: stringMap(),
  stringData: stringMap(),
});

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** stringData is write-only: the server folds it into data (base64) and never stores it. */
function foldStringData(obj: KubeObject): void {
  const stringData = isRecord(obj.stringData) ? obj.stringData : {};
  const data: Record<string, unknown> = isRecord(obj.data) ? { ...obj.data } : {};
  for (const [key, value] of Object.entries(stringData)) {
    data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  }
  delete obj.stringData;
  if (Object.keys(data).length > 0) obj.data = data;
  obj.type ??= 'Opaque';
}

function validateSecret(obj: KubeObject, old: KubeObject | undefined): InvalidField[] {
  const errors: InvalidField[] = [];
  for (const key of Object.keys(isRecord(obj.data) ? obj.data : {})) {
    if (!CONFIG_KEY.test(key)) {
      errors.push(
        invalidField(
          'data',
          key,
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        ),
      );
    }
  }
  if (old && old.type !== obj.type) errors.push(invalidField('type', obj.type, 'field is immutable'));
  if (old?.immutable === true && JSON.stringify(old.data) !== JSON.stringify(obj.data)) {
    errors.push({
      field: 'data',
      type: 'FieldValueForbidden',
      message: 'data: Forbidden: field is immutable when `immutable` is set',
    });
  }
  return errors;
}

function decodeProblems(obj: KubeObject): string[] {
  const data = isRecord(obj.data) ? obj.data : {};
  return Object.entries(data).flatMap(([key, value]) =>
    typeof value === 'string' && BASE64.test(value) ? [] : [`illegal base64 data in data.${key}`],
  );
}

/** core/v1 Secrets, which the stand-in can be seeded with (an admin key for the operator). */
export function secrets(): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    listKind: 'SecretList',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    storage: 'secrets',
    ...BUILTIN_BEHAVIOUR,
    fieldLabels: new Map([...metadataFieldLabels(true), ['type', (o: KubeObject) => String(o.type ?? '')]]),
    unsupportedFieldMessage: builtinUnsupportedField,
    admit(obj, ctx) {
      const admission = admitBuiltin(
        { kind: 'Secret', version: 'v1', schema, defaults: foldStringData, validate: validateSecret },
        obj,
        ctx.old,
      );
      const problems = admission.decodeErrors.length > 0 ? [] : decodeProblems(admission.object);
      if (problems.length > 0) {
        return {
          ...admission,
          errors: [],
          decodeErrors: [`Secret in version "v1" cannot be handled as a Secret: ${problems.join('; ')}`],
        };
      }
      return admission;
    },
    invalidMessage: (name, errors) => invalidMessage({ group: '', kind: 'Secret' }, name, errors),
    columns: [
      nameColumn,
      {
        name: 'Type',
        type: 'string',
        description: 'The type of the secret',
        cell: (o) => String(o.type ?? ''),
      },
      {
        name: 'Data',
        type: 'string',
        description: 'The number of keys in the secret',
        cell: (o) => Object.keys(isRecord(o.data) ? o.data : {}).length,
      },
      ageColumn,
    ],
    openApiSchema: schema,
    toStorage: identity,
    fromStorage: identity,
  };
}
