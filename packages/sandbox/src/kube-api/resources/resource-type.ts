import type { StructuralSchema } from '../../../../../src/schema/structural-schema.js';
import type { GroupResource, InvalidField } from '../status.js';
import type { KubeObject } from '../types.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export const ALL_VERBS: readonly Verb[] = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** The outcome of decoding, defaulting and validating one object for one resource. */
export interface Admission {
  /** Defaulted and pruned. */
  object: KubeObject;
  /** Schema and semantic errors: 422 Invalid. */
  errors: InvalidField[];
  /** Paths of undeclared fields that were dropped (what fieldValidation decides about). */
  unknownFields: string[];
  /** What the real server's decoder refuses before validation runs (wrong types, bad MicroTime): 400. */
  decodeErrors: string[];
}

export interface AdmitContext {
  operation: 'create' | 'update';
  /** The stored object, in this resource's form, on update. */
  old?: KubeObject;
}

/** A column of the server-side Table that `kubectl get` prints. */
export interface TableColumn {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority?: number;
  cell(obj: KubeObject, now: Date): unknown;
}

/**
 * Everything the generic handlers need to serve one resource the way its real registry does.
 * The flags follow the API server's per-resource strategies (AllowUnconditionalUpdate,
 * AllowCreateOnUpdate, ReturnDeletedObject, status subresource, generation tracking).
 */
export interface ResourceType extends GroupResource {
  version: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  verbs: readonly Verb[];
  /** Resources that share storage (core and events.k8s.io Events) name the same bucket. */
  storage: string;
  statusSubresource: boolean;
  /** metadata.generation counts changes outside metadata and status. */
  tracksGeneration: boolean;
  allowUnconditionalUpdate: boolean;
  allowCreateOnUpdate: boolean;
  /** Delete answers with the object (CRs) rather than a Status (most built-ins). */
  returnDeletedObject: boolean;
  /** Served from a CRD: apiVersion and kind are required in bodies and strategic merge patch is 415. */
  customResource: boolean;
  /** Built-in types accept strategic merge patches; custom resources refuse them with 415. */
  strategicMerge: boolean;
  /** Field selector labels and how each reads its value from an object in this resource's form. */
  fieldLabels: ReadonlyMap<string, (obj: KubeObject) => string>;
  unsupportedFieldMessage(field: string): string;
  admit(obj: KubeObject, ctx: AdmitContext): Admission;
  /** `kind` is the body's, which the API server names even when it refuses it (default: this kind). */
  invalidMessage(name: string, errors: readonly InvalidField[], kind?: string): string;
  columns: readonly TableColumn[];
  /** The schema published in OpenAPI (for `kubectl explain`). */
  openApiSchema?: StructuralSchema;
  /** Conversion between this resource's form and the storage bucket's form. */
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
  /**
   * Set for a resource the stand-in serves for reading only: every write, to the resource or a
   * subresource, is 405 MethodNotAllowed with this message, which tells the user what to do.
   */
  readOnlyReason?: string;
  /** Server-owned fields a create fills in (a Namespace's phase, a Secret's type). */
  prepareForCreate?(obj: KubeObject): void;
}

/** How the API server's registry treats built-in (non-CRD) kinds; each kind overrides what differs. */
export const BUILTIN_BEHAVIOUR = {
  statusSubresource: false,
  tracksGeneration: false,
  allowUnconditionalUpdate: true,
  allowCreateOnUpdate: false,
  returnDeletedObject: false,
  customResource: false,
  strategicMerge: true,
} as const;

export function apiVersionOf(rt: { group: string; version: string }): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

export function identity(obj: KubeObject): KubeObject {
  return obj;
}

export function metadataFieldLabels(namespaced: boolean): [string, (obj: KubeObject) => string][] {
  const labels: [string, (obj: KubeObject) => string][] = [['metadata.name', (o) => o.metadata.name ?? '']];
  if (namespaced) labels.push(['metadata.namespace', (o) => o.metadata.namespace ?? '']);
  return labels;
}

/** Built-in resources refuse an unknown field selector with this wording. */
export function builtinUnsupportedField(field: string): string {
  return `field label not supported: ${field}`;
}
