import type { AuditActor } from './audit-log.js';
import { AUDIT_LOGS_PATH, handleAuditLogRequest } from './audit-log-api.js';
import { errorReply, type Reply } from './http.js';
import { listPage, parseListQuery, toWirePage } from './pages.js';
import type { PermissionStore } from './store.js';

/** A request to one of the admin API's routes the stand-in serves. */
export type AdminRoute =
  | { operation: 'list' | 'grant'; checkpoint: string }
  | { operation: 'revoke'; checkpoint: string; permissionId: string }
  | { operation: 'audit_log' };

const PERMISSIONS_PATH = /^\/v1\/fine_tuning\/checkpoints\/([^/]+)\/permissions(?:\/([^/]+))?$/;

/** Maps method and path to an operation; undefined for anything the admin API does not serve. */
export function matchRoute(method: string, pathname: string): AdminRoute | undefined {
  if (pathname === AUDIT_LOGS_PATH) return method === 'GET' ? { operation: 'audit_log' } : undefined;
  const match = PERMISSIONS_PATH.exec(pathname);
  if (!match?.[1]) return undefined;
  let checkpoint: string;
  let permissionId: string | undefined;
  try {
    // The checkpoint contains colons, which clients may or may not percent-encode.
    checkpoint = decodeURIComponent(match[1]);
    permissionId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
  } catch {
    return undefined;
  }
  if (permissionId === undefined) {
    if (method === 'GET') return { operation: 'list', checkpoint };
    if (method === 'POST') return { operation: 'grant', checkpoint };
    return undefined;
  }
  if (method === 'DELETE') return { operation: 'revoke', checkpoint, permissionId };
  return undefined;
}

export function invalidUrl(method: string, pathname: string): Reply {
  return errorReply(404, `Invalid URL (${method} ${pathname})`);
}

/** OpenAI shows a key only by its first 8 and last 4 characters. */
function maskKey(key: string): string {
  return key.length <= 12
    ? '*'.repeat(key.length)
    : `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

/** The scope a key without admin rights is told it lacks, per route. */
function missingScope(route: AdminRoute): string {
  return route.operation === 'audit_log' ? 'api.audit_logs.read' : 'api.fine_tuning.checkpoints.permissions';
}

/** Undefined when the request carries the admin key; otherwise the 401 to send. */
export function authorize(
  header: string | undefined,
  adminKey: string,
  route: AdminRoute,
): Reply | undefined {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  const key = match?.[1];
  if (!key) {
    return errorReply(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  }
  if (key === adminKey) return undefined;
  if (!key.startsWith('sk-admin-')) {
    return errorReply(
      401,
      `You have insufficient permissions for this operation. Missing scopes: ${missingScope(route)}. This endpoint requires an admin API key.`,
    );
  }
  return errorReply(401, `Incorrect API key provided: ${maskKey(key)}.`, { code: 'invalid_api_key' });
}

function checkpointNotFound(checkpoint: string): Reply {
  return errorReply(404, `The fine-tuned model checkpoint '${checkpoint}' does not exist.`, {
    param: 'fine_tuned_model_checkpoint',
    code: 'model_not_found',
  });
}

/** Reads a create body strictly: exactly `{"project_ids": [one or more strings]}`. */
function parseCreateBody(text: string): string[] | Reply {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return errorReply(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return errorReply(400, 'Invalid request body: expected a JSON object.');
  }
  const extra = Object.keys(body).filter((k) => k !== 'project_ids');
  if (extra.length > 0) {
    return errorReply(400, `Unrecognized request argument supplied: ${extra.join(', ')}`, {
      param: extra[0] ?? null,
    });
  }
  const projectIds = (body as { project_ids?: unknown }).project_ids;
  if (projectIds === undefined) {
    return errorReply(400, "Missing required parameter: 'project_ids'.", { param: 'project_ids' });
  }
  if (!Array.isArray(projectIds) || !projectIds.every((p) => typeof p === 'string')) {
    return errorReply(400, "Invalid 'project_ids': expected an array of strings.", { param: 'project_ids' });
  }
  if (projectIds.length === 0) {
    return errorReply(
      400,
      "Invalid 'project_ids': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      { param: 'project_ids' },
    );
  }
  return projectIds as string[];
}

/**
 * Carries out one admin API request against the store, as `actor` (the admin key's owner).
 * Authorization has already been checked; the order of the remaining checks (checkpoint, then
 * parameters) is OpenAI's.
 */
export function handleAdminRequest(
  route: AdminRoute,
  query: URLSearchParams,
  body: string,
  store: PermissionStore,
  actor: AuditActor,
): Reply {
  if (route.operation === 'audit_log') return handleAuditLogRequest(query, store.auditLog);
  if (!store.hasCheckpoint(route.checkpoint)) return checkpointNotFound(route.checkpoint);
  switch (route.operation) {
    case 'list': {
      const parsed = parseListQuery(query);
      if (!parsed.ok) return errorReply(400, parsed.refusal.message, { param: parsed.refusal.param });
      const listed = listPage(store, route.checkpoint, parsed.query);
      if (!listed.ok) return errorReply(400, listed.refusal.message, { param: listed.refusal.param });
      return { status: 200, body: listed.page };
    }
    case 'grant': {
      const projectIds = parseCreateBody(body);
      if (!Array.isArray(projectIds)) return projectIds;
      const outcome = store.create(route.checkpoint, projectIds, actor);
      if (!outcome.ok) return errorReply(400, outcome.refusal.message, { param: outcome.refusal.param });
      return { status: 200, body: toWirePage(outcome.created, false) };
    }
    case 'revoke': {
      const { permissionId } = route;
      if (!store.revoke(route.checkpoint, permissionId, actor)) {
        return errorReply(404, `No checkpoint permission found with id '${permissionId}'.`, {
          param: 'permission_id',
        });
      }
      return { status: 200, body: { id: permissionId, deleted: true, object: 'checkpoint.permission' } };
    }
  }
}
