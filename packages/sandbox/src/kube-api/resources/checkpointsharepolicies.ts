/**
 * CheckpointSharePolicies, served from their CRD in crds/ the way apiextensions-apiserver serves
 * a cluster-scoped custom resource: schema defaults, pruning and validation (422), a status
 * subresource, generation tracking, no unconditional updates, no strategic merge patch.
 */

import { validateMetadata } from '../../../../../src/schema/object-meta.js';
import { type FieldError, validateStructural } from '../../../../../src/schema/structural-schema.js';
import { loadPolicyCrd, storageVersion } from '../../crd/crd.js';
import { formatErrors } from '../../crd/validate.js';
import { admitMetadata } from '../metadata.js';
import { nameColumn, printerColumn } from '../table.js';
import type { KubeObject } from '../types.js';
import {
  type Admission,
  ALL_VERBS,
  identity,
  metadataFieldLabels,
  type ResourceType,
} from './resource-type.js';

export function checkpointSharePolicies(): ResourceType {
  const crd = loadPolicyCrd();
  const served = storageVersion(crd);
  const names = crd.spec.names;
  const apiVersion = `${crd.spec.group}/${served.name}`;
  return {
    group: crd.spec.group,
    version: served.name,
    resource: names.plural,
    singular: names.singular,
    kind: names.kind,
    listKind: names.listKind,
    namespaced: crd.spec.scope === 'Namespaced',
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    verbs: ALL_VERBS,
    storage: `${names.plural}.${crd.spec.group}`,
    statusSubresource: served.subresources?.status !== undefined,
    tracksGeneration: true,
    allowUnconditionalUpdate: false,
    allowCreateOnUpdate: false,
    returnDeletedObject: true,
    customResource: true,
    strategicMerge: false,
    fieldLabels: new Map(metadataFieldLabels(false)),
    unsupportedFieldMessage: (field) => `"${field}" is not a known field selector: only "metadata.name"`,
    admit(input: KubeObject): Admission {
      const errors: FieldError[] = [];
      for (const [field, expected] of [
        ['apiVersion', apiVersion],
        ['kind', names.kind],
      ] as const) {
        if (input[field] !== expected)
          errors.push({
            field,
            type: 'FieldValueNotSupported',
            message: `${field}: Unsupported value: ${JSON.stringify(input[field] ?? '')}: supported values: "${expected}"`,
          });
      }
      errors.push(...validateMetadata(input.metadata));
      const result = validateStructural(served.schema.openAPIV3Schema, input, 'Ignore');
      const object = result.value as KubeObject;
      const meta = admitMetadata(object, () => []);
      return {
        object,
        errors: [...errors, ...result.errors, ...meta.errors],
        unknownFields: [...meta.unknownFields, ...result.unknownFields],
        decodeErrors: meta.decodeErrors,
      };
    },
    invalidMessage: (name, errors) => formatErrors(names.kind, name, errors as readonly FieldError[]),
    columns: [nameColumn, ...(served.additionalPrinterColumns ?? []).map(printerColumn)],
    openApiSchema: served.schema.openAPIV3Schema,
    toStorage: identity,
    fromStorage: identity,
  };
}
