import type { PermissionStore, Refused, StoredPermission } from './store.js';

/** OpenAI's wire shape of one permission. */
export interface WirePermission {
  id: string;
  created_at: number;
  object: 'checkpoint.permission';
  project_id: string;
}

export interface WirePage {
  object: 'list';
  data: WirePermission[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

export type Order = 'ascending' | 'descending';

export interface ListQuery {
  after?: string;
  limit: number;
  order: Order;
  projectId?: string;
}

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;

export function toWire(permission: StoredPermission): WirePermission {
  return {
    id: permission.id,
    created_at: permission.createdAt,
    object: 'checkpoint.permission',
    project_id: permission.projectId,
  };
}

export function toWirePage(permissions: readonly StoredPermission[], hasMore: boolean): WirePage {
  const data = permissions.map(toWire);
  return {
    object: 'list',
    data,
    has_more: hasMore,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  };
}

/** Reads list parameters strictly: a bad limit or order is a 400, as OpenAI answers it. */
export function parseListQuery(params: URLSearchParams): { ok: true; query: ListQuery } | Refused {
  const query: ListQuery = { limit: DEFAULT_LIMIT, order: 'descending' };
  const limit = params.get('limit');
  if (limit !== null) {
    const value = Number(limit);
    if (!/^\d+$/.test(limit) || value < 1 || value > MAX_LIMIT) {
      return refuse(`Invalid 'limit': expected an integer from 1 to ${MAX_LIMIT}, got '${limit}'.`, 'limit');
    }
    query.limit = value;
  }
  const order = params.get('order');
  if (order !== null) {
    if (order !== 'ascending' && order !== 'descending') {
      return refuse(`Invalid 'order': expected 'ascending' or 'descending', got '${order}'.`, 'order');
    }
    query.order = order;
  }
  const after = params.get('after');
  if (after !== null) query.after = after;
  const projectId = params.get('project_id');
  if (projectId !== null) query.projectId = projectId;
  return { ok: true, query };
}

function refuse(message: string, param: string): Refused {
  return { ok: false, refusal: { message, param } };
}

/** Descending by created_at, then by id; ascending is the exact reverse. */
function compare(a: StoredPermission, b: StoredPermission, order: Order): number {
  const ascending = a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return order === 'ascending' ? ascending : -ascending;
}

/**
 * One page of a checkpoint's permissions. The `after` cursor is a permission id; the page starts
 * just past it in the chosen order, even if that permission has since been deleted.
 */
export function listPage(
  store: PermissionStore,
  checkpoint: string,
  query: ListQuery,
): { ok: true; page: WirePage } | Refused {
  let items = store.permissions(checkpoint).sort((a, b) => compare(a, b, query.order));
  if (query.projectId !== undefined) items = items.filter((p) => p.projectId === query.projectId);
  if (query.after !== undefined) {
    const cursor = store.issued(query.after);
    if (!cursor) return refuse(`Invalid 'after': no permission with id '${query.after}'.`, 'after');
    items = items.filter((p) => compare(p, cursor, query.order) > 0);
  }
  const page = items.slice(0, query.limit);
  return { ok: true, page: toWirePage(page, items.length > page.length) };
}
