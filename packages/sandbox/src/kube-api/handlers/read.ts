/** get, list (with selectors and limit/continue pages) and watch. */
import {
  type ApiRequest,
  type Cluster,
  integerParam,
  present,
  type Reply,
  resourceVersionParam,
} from '../api-request.js';
import { apiVersionOf, type ResourceType } from '../resources/index.js';
import { matchesFilter, type ObjectFilter, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { badRequest, expired, invalid, notFound } from '../status.js';
import { type IncludeObject, toTable } from '../table.js';
import type { KubeObject } from '../types.js';

export function getObject(cluster: Cluster, r: ApiRequest): Reply {
  const { rt, info } = r;
  const name = info.name ?? '';
  const stored = cluster.store.get(rt.storage, info.namespace ?? '', name);
  if (!stored) throw notFound(rt, name);
  const obj = present(rt, stored);
  if (r.format.kind === 'table') {
    return {
      code: 200,
      body: toTable(
        rt,
        [obj],
        includeObject(r),
        { resourceVersion: obj.metadata.resourceVersion },
        r.format.version,
      ),
    };
  }
  return { code: 200, body: obj };
}

function includeObject(r: ApiRequest): IncludeObject {
  const value = r.query.get('includeObject');
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(
    `includeObject: Unsupported value: ${JSON.stringify(value)}: supported values: "None", "Metadata", "Object"`,
  );
}

export function parseFilter(rt: ResourceType, r: ApiRequest): ObjectFilter {
  const fieldSelector = parseFieldSelector(
    r.query.get('fieldSelector') ?? undefined,
    new Set(rt.fieldLabels.keys()),
    (field) => rt.unsupportedFieldMessage(field),
  );
  // A watch on one object by name (`.../name?watch=true`) selects it with a field selector.
  if (r.info.name !== undefined && r.info.verb === 'watch') {
    return {
      namespace: r.info.namespace,
      labelSelector: parseLabelSelector(r.query.get('labelSelector') ?? undefined),
      fieldSelector: [...fieldSelector, { field: 'metadata.name', value: r.info.name, negated: false }],
    };
  }
  return {
    namespace: r.info.namespace,
    labelSelector: parseLabelSelector(r.query.get('labelSelector') ?? undefined),
    fieldSelector,
  };
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(value: string): ContinueToken {
  try {
    const token = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (token.v === 'meta.k8s.io/v1' && typeof token.rv === 'number' && typeof token.start === 'string') {
      return { v: token.v, rv: token.rv, start: token.start };
    }
  } catch {
    // fall through to the refusal below
  }
  throw badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/**
 * Lists the current state. Pages (`limit`, `continue`) walk the key space in order; a later page
 * shows the state at its own time rather than a snapshot, and a token older than the event
 * history is refused with 410 as an expired etcd revision would be.
 */
export function listObjects(cluster: Cluster, r: ApiRequest): Reply {
  const { rt } = r;
  resourceVersionParam(r.query);
  const match = r.query.get('resourceVersionMatch');
  if (match !== null && match !== '' && match !== 'NotOlderThan' && match !== 'Exact') {
    throw badRequest(
      `resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`,
    );
  }
  const filter = parseFilter(rt, r);
  const limit = integerParam(r.query, 'limit');
  const continueParam = r.query.get('continue');
  let start = '';
  if (continueParam) {
    const token = decodeContinue(continueParam);
    if (token.rv < cluster.hub.oldestResumableVersion) {
      throw expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    start = token.start;
  }
  const all = cluster.store
    .list(rt.storage, filter.namespace)
    .map((stored) => present(rt, stored))
    .filter((obj) => matchesFilter(filter, rt.fieldLabels, obj))
    .filter((obj) => keyOf(obj) > start);
  const revision = cluster.store.resourceVersion;
  const items = limit !== undefined && limit > 0 ? all.slice(0, limit) : all;
  const last = items[items.length - 1];
  const more = items.length < all.length && last !== undefined;
  const listMeta: Record<string, unknown> = {
    resourceVersion: String(revision),
    ...(more ? { continue: encodeContinue({ v: 'meta.k8s.io/v1', rv: revision, start: keyOf(last) }) } : {}),
    ...(more ? { remainingItemCount: all.length - items.length } : {}),
  };
  if (r.format.kind === 'table') {
    return { code: 200, body: toTable(rt, items, includeObject(r), listMeta, r.format.version) };
  }
  return { code: 200, body: { apiVersion: apiVersionOf(rt), kind: rt.listKind, metadata: listMeta, items } };
}

export function watchObjects(cluster: Cluster, r: ApiRequest): void {
  const { rt, query } = r;
  const filter = parseFilter(rt, r);
  const sendInitialEvents = query.get('sendInitialEvents') === 'true';
  const allowBookmarks =
    query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1';
  if (sendInitialEvents && query.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw invalid(
      { group: 'meta.k8s.io', kind: 'ListOptions' },
      '',
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan',
      [
        {
          field: 'sendInitialEvents',
          type: 'FieldValueForbidden',
          message:
            'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan',
        },
      ],
    );
  }
  const format = r.format;
  const include = includeObject(r);
  cluster.hub.serve(r.req, r.res, {
    rt,
    ...filter,
    ...(format.kind === 'table'
      ? {
          render: (obj: KubeObject) =>
            toTable(rt, [obj], include, { resourceVersion: obj.metadata.resourceVersion }, format.version),
        }
      : {}),
    resourceVersion: resourceVersionParam(query),
    allowBookmarks,
    sendInitialEvents,
    timeoutSeconds: integerParam(query, 'timeoutSeconds'),
  });
}
