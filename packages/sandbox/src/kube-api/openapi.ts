/**
 * OpenAPI v3 documents, because kubectl depends on them: `apply` checks that the server does
 * field validation by finding a PATCH operation for the kind with a `fieldValidation` query
 * parameter, picks merge patch for a kind whose PATCH does not accept strategic merge patch
 * (custom resources), and `explain` reads the schemas. /openapi/v2 is served as an empty
 * protobuf document: kubectl downloads it before validating, but finds no kinds there and leaves
 * validation to the server.
 */
import { createHash } from 'node:crypto';
import type { StructuralSchema } from '../../../../src/schema/structural-schema.js';
import { apiVersionOf, type ResourceType } from './resources/index.js';

/**
 * kubectl asks for `...spec.v2@v1.0+protobuf`, but `@` is not allowed in a media type and Go's
 * mime parser refuses it in a reply ("mime: unexpected content after media subtype"), so the
 * real server answers with this dotted form, as must the stand-in.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

const OBJECT_META_SCHEMA = {
  type: 'object',
  description:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  properties: {
    name: { type: 'string', description: 'Name must be unique within a namespace.' },
    generateName: { type: 'string', description: 'A prefix the server uses to generate a unique name.' },
    namespace: { type: 'string', description: 'The namespace the object lives in.' },
    uid: { type: 'string', description: 'The unique id the server gave the object on creation.' },
    resourceVersion: {
      type: 'string',
      description:
        'An opaque value that identifies the version of the object, for optimistic concurrency and watches.',
    },
    generation: {
      type: 'integer',
      format: 'int64',
      description: 'A sequence number for changes to the desired state.',
    },
    creationTimestamp: { type: 'string', format: 'date-time', description: 'When the object was created.' },
    deletionTimestamp: { type: 'string', format: 'date-time', description: 'When deletion was requested.' },
    deletionGracePeriodSeconds: {
      type: 'integer',
      format: 'int64',
      description: 'Seconds allowed for graceful termination.',
    },
    labels: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Labels for selection.',
    },
    annotations: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Unstructured annotations.',
    },
    finalizers: {
      type: 'array',
      items: { type: 'string' },
      'x-kubernetes-list-type': 'set',
      description: 'Must be empty before the object is deleted from the registry.',
    },
  },
};

function schemaName(rt: ResourceType): string {
  if (rt.customResource) return `${rt.group.split('.').reverse().join('.')}.${rt.version}.${rt.kind}`;
  const group = rt.group === '' ? 'core' : rt.group.split('.')[0];
  return `io.k8s.api.${group}.${rt.version}.${rt.kind}`;
}

function gvk(rt: ResourceType): { group: string; version: string; kind: string } {
  return { group: rt.group, version: rt.version, kind: rt.kind };
}

function kindSchema(rt: ResourceType): Record<string, unknown> {
  const base = (rt.openApiSchema ?? { type: 'object' }) as StructuralSchema & Record<string, unknown>;
  const properties: Record<string, unknown> = { ...base.properties };
  properties.metadata = {
    allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }],
    default: {},
    description: "Standard object's metadata.",
  };
  return { ...base, properties, 'x-kubernetes-group-version-kind': [gvk(rt)] };
}

function parameter(name: string, description: string): Record<string, unknown> {
  return { name, in: 'query', description, schema: { type: 'string', uniqueItems: true } };
}

function operations(rt: ResourceType): Record<string, unknown> {
  const ref = { $ref: `#/components/schemas/${schemaName(rt)}` };
  const json = { 'application/json': { schema: ref } };
  const ext = (action: string): Record<string, unknown> => ({
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(rt),
  });
  const write = [
    parameter('dryRun', 'When present, indicates that modifications should not be persisted.'),
    parameter('fieldManager', 'A name associated with the actor or entity that is making these changes.'),
    parameter('fieldValidation', 'How the server handles unknown fields: Ignore, Warn or Strict.'),
  ];
  const patchTypes = [
    'application/json-patch+json',
    'application/merge-patch+json',
    ...(rt.strategicMerge ? ['application/strategic-merge-patch+json'] : []),
  ];
  const prefix = `/${rt.group === '' ? 'api' : `apis/${rt.group}`}/${rt.version}`;
  const scope = rt.namespaced ? '/namespaces/{namespace}' : '';
  const item = `${prefix}${scope}/${rt.resource}/{name}`;
  const paths: Record<string, unknown> = {
    [`${prefix}${scope}/${rt.resource}`]: {
      get: { operationId: `list${rt.kind}`, responses: { '200': { content: json } }, ...ext('list') },
      post: {
        operationId: `create${rt.kind}`,
        parameters: write,
        requestBody: { content: { '*/*': { schema: ref } }, required: true },
        responses: { '201': { content: json } },
        ...ext('post'),
      },
    },
    [item]: {
      get: { operationId: `read${rt.kind}`, responses: { '200': { content: json } }, ...ext('get') },
      put: {
        operationId: `replace${rt.kind}`,
        parameters: write,
        requestBody: { content: { '*/*': { schema: ref } }, required: true },
        responses: { '200': { content: json } },
        ...ext('put'),
      },
      patch: {
        operationId: `patch${rt.kind}`,
        parameters: [...write, parameter('force', 'Force is going to "force" Apply requests.')],
        requestBody: {
          content: Object.fromEntries(patchTypes.map((t) => [t, { schema: { type: 'object' } }])),
          required: true,
        },
        responses: { '200': { content: json } },
        ...ext('patch'),
      },
      delete: { operationId: `delete${rt.kind}`, responses: { '200': { content: json } }, ...ext('delete') },
    },
  };
  return paths;
}

function groupVersionDocument(resources: readonly ResourceType[]): Record<string, unknown> {
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: Object.assign({}, ...resources.map(operations)),
    components: {
      schemas: {
        [OBJECT_META]: OBJECT_META_SCHEMA,
        ...Object.fromEntries(resources.map((rt) => [schemaName(rt), kindSchema(rt)])),
      },
    },
  };
}

function groupVersionKey(rt: ResourceType): string {
  return rt.group === '' ? `api/${rt.version}` : `apis/${apiVersionOf(rt)}`;
}

function byGroupVersion(resources: readonly ResourceType[]): Map<string, ResourceType[]> {
  const map = new Map<string, ResourceType[]>();
  for (const rt of resources) {
    const key = groupVersionKey(rt);
    map.set(key, [...(map.get(key) ?? []), rt]);
  }
  return map;
}

function hash(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
}

export type OpenApiReply = { kind: 'json'; body: unknown } | { kind: 'protobuf'; body: Buffer };

export function openApiDocument(resources: readonly ResourceType[], path: string): OpenApiReply | undefined {
  if (path === '/openapi/v2') return { kind: 'protobuf', body: Buffer.alloc(0) };
  const groups = byGroupVersion(resources);
  if (path === '/openapi/v3' || path === '/openapi/v3/') {
    const paths: Record<string, unknown> = {};
    for (const [key, members] of groups) {
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash(groupVersionDocument(members))}` };
    }
    return { kind: 'json', body: { paths } };
  }
  const members = path.startsWith('/openapi/v3/') ? groups.get(path.slice('/openapi/v3/'.length)) : undefined;
  return members ? { kind: 'json', body: groupVersionDocument(members) } : undefined;
}
