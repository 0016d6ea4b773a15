/**
 * CheckpointShares, served from the CRD in crds/ the way apiextensions-apiserver serves a custom
 * resource: schema defaults and pruning, 422 for schema errors, a status subresource, generation
 * tracking, no unconditional updates, no strategic merge patch.
 */

import type { FieldError } from '../../../../../src/schema/structural-schema.js';
import { loadCrd, storageVersion } from '../../crd/crd.js';
import { GROUP, KIND, LIST_KIND, PLURAL, SINGULAR, VERSION } from '../../crd/identity.js';
import { formatErrors, validateCheckpointShare } from '../../crd/validate.js';
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

export function checkpointShares(): ResourceType {
  const crd = loadCrd();
  const served = storageVersion(crd);
  const names = crd.spec.names;
  return {
    group: GROUP,
    version: VERSION,
    resource: PLURAL,
    singular: SINGULAR,
    kind: KIND,
    listKind: LIST_KIND,
    namespaced: crd.spec.scope === 'Namespaced',
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    verbs: ALL_VERBS,
    storage: `${PLURAL}.${GROUP}`,
    statusSubresource: served.subresources?.status !== undefined,
    tracksGeneration: true,
    allowUnconditionalUpdate: false,
    allowCreateOnUpdate: false,
    returnDeletedObject: true,
    customResource: true,
    strategicMerge: false,
    fieldLabels: new Map(metadataFieldLabels(true)),
    unsupportedFieldMessage: (field) =>
      `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
    admit(input: KubeObject): Admission {
      // Unknown fields are pruned here and judged by the caller's fieldValidation.
      const result = validateCheckpointShare(input, 'Ignore');
      const object = result.object as unknown as KubeObject;
      const meta = admitMetadata(object, () => []);
      return {
        object,
        errors: [...result.errors, ...meta.errors],
        unknownFields: [...meta.unknownFields, ...result.unknownFields],
        decodeErrors: meta.decodeErrors,
      };
    },
    // formatErrors reads only each error's message, so the wider cause types fit it.
    invalidMessage: (name, errors, kind = KIND) => formatErrors(kind, name, errors as readonly FieldError[]),
    columns: [nameColumn, ...(served.additionalPrinterColumns ?? []).map(printerColumn)],
    openApiSchema: served.schema.openAPIV3Schema,
    toStorage: identity,
    fromStorage: identity,
  };
}
