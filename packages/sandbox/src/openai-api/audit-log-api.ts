import { type AuditActor, type AuditEvent, type AuditLog, newestFirst } from './audit-log.js';
import { errorReply, type Reply } from './http.js';
import { MAX_LIMIT } from './pages.js';
import type { Refused } from './store.js';

export const AUDIT_LOGS_PATH = '/v1/organization/audit_logs';
export const AUDIT_LOG_DEFAULT_LIMIT = 20;

export const AUDIT_LOG_DISABLED_MESSAGE =
  'The audit log cannot be read: audit logging is not enabled for this organization. An organization owner can enable it in the organization settings.';

/** One event as GET /v1/organization/audit_logs answers it (AuditLogListResponse in the SDK). */
export interface WireAuditEvent {
  id: string;
  type: AuditEvent['type'];
  effective_at: number;
  actor: AuditActor;
  'checkpoint.permission.created'?: {
    id: string;
    data: { fine_tuned_model_checkpoint: string; project_id: string };
  };
  'checkpoint.permission.deleted'?: { id: string };
}

export interface WireAuditPage {
  object: 'list';
  data: WireAuditEvent[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface AuditLogQuery {
  limit: number;
  after?: string;
  before?: string;
  eventTypes?: Set<string>;
  projectIds?: Set<string>;
  actorIds?: Set<string>;
  actorEmails?: Set<string>;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** The SDK sends arrays as `name[]=a&name[]=b` (qs, arrayFormat brackets). */
const LIST_PARAMS = {
  'event_types[]': 'eventTypes',
  'project_ids[]': 'projectIds',
  'actor_ids[]': 'actorIds',
  'actor_emails[]': 'actorEmails',
} as const;

const BOUNDS = {
  'effective_at[gt]': 'gt',
  'effective_at[gte]': 'gte',
  'effective_at[lt]': 'lt',
  'effective_at[lte]': 'lte',
} as const;

/** Filters of the real API that the stand-in does not imitate: refused rather than ignored. */
const NOT_IMITATED = new Set(['resource_ids[]', 'tenant_only']);

function refuse(message: string, param: string): Refused {
  return { ok: false, refusal: { message, param } };
}

/**
 * Reads the list parameters strictly: a bad limit or bound is a 400 naming it, and so is a
 * parameter the endpoint does not know (a filter silently dropped would answer too much).
 */
export function parseAuditLogQuery(params: URLSearchParams): { ok: true; query: AuditLogQuery } | Refused {
  const query: AuditLogQuery = { limit: AUDIT_LOG_DEFAULT_LIMIT };
  for (const key of new Set(params.keys())) {
    if (key in LIST_PARAMS) {
      query[LIST_PARAMS[key as keyof typeof LIST_PARAMS]] = new Set(params.getAll(key));
    } else if (key in BOUNDS) {
      const raw = params.get(key) ?? '';
      if (!/^\d+$/.test(raw)) {
        return refuse(`Invalid '${key}': expected an integer (Unix seconds), got '${raw}'.`, key);
      }
      query[BOUNDS[key as keyof typeof BOUNDS]] = Number(raw);
    } else if (key === 'limit') {
      const raw = params.get(key) ?? '';
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || value < 1 || value > MAX_LIMIT) {
        return refuse(`Invalid 'limit': expected an integer from 1 to ${MAX_LIMIT}, got '${raw}'.`, 'limit');
      }
      query.limit = value;
    } else if (key === 'after' || key === 'before') {
      query[key] = params.get(key) ?? '';
    } else if (NOT_IMITATED.has(key)) {
      return refuse(`The OpenAI stand-in does not imitate the '${key}' filter.`, key);
    } else {
      return refuse(`Unrecognized request argument supplied: ${key}`, key);
    }
  }
  return { ok: true, query };
}

function actorIds(actor: AuditActor): string[] {
  if (actor.type === 'session') return [actor.session.user.id];
  const key = actor.api_key;
  return [key.id, key.user?.id, key.service_account?.id].filter((id): id is string => id !== undefined);
}

function actorEmail(actor: AuditActor): string | undefined {
  return actor.type === 'session' ? actor.session.user.email : actor.api_key.user?.email;
}

function matches(event: AuditEvent, query: AuditLogQuery): boolean {
  const at = event.effectiveAt;
  if (query.gt !== undefined && !(at > query.gt)) return false;
  if (query.gte !== undefined && !(at >= query.gte)) return false;
  if (query.lt !== undefined && !(at < query.lt)) return false;
  if (query.lte !== undefined && !(at <= query.lte)) return false;
  if (query.eventTypes && !query.eventTypes.has(event.type)) return false;
  if (query.projectIds && !query.projectIds.has(event.projectId)) return false;
  if (query.actorIds && !actorIds(event.actor).some((id) => query.actorIds?.has(id))) return false;
  if (query.actorEmails && !query.actorEmails.has(actorEmail(event.actor) ?? '')) return false;
  return true;
}

export function toWireEvent(event: AuditEvent): WireAuditEvent {
  const wire: WireAuditEvent = {
    id: event.id,
    type: event.type,
    effective_at: event.effectiveAt,
    actor: structuredClone(event.actor),
  };
  if (event.type === 'checkpoint.permission.created') {
    wire[event.type] = {
      id: event.permissionId,
      data: { fine_tuned_model_checkpoint: event.checkpoint, project_id: event.projectId },
    };
  } else {
    wire[event.type] = { id: event.permissionId };
  }
  return wire;
}

/**
 * One page, newest first. `after` starts just past its event; `before` gives the `limit` events
 * just ahead of its event (the previous page). A cursor the log does not hold (never issued, or
 * forgotten under the retention) is a 400, as the permission list answers one.
 */
export function auditLogPage(
  log: AuditLog,
  query: AuditLogQuery,
): { ok: true; page: WireAuditPage } | Refused {
  let items = log.visible().filter((e) => matches(e, query));
  for (const side of ['after', 'before'] as const) {
    const id = query[side];
    if (id === undefined) continue;
    const cursor = log.find(id);
    if (!cursor) return refuse(`Invalid '${side}': no audit log with id '${id}'.`, side);
    items = items.filter((e) => (side === 'after' ? newestFirst(e, cursor) > 0 : newestFirst(e, cursor) < 0));
  }
  const backwards = query.before !== undefined && query.after === undefined;
  const page = backwards ? items.slice(-query.limit) : items.slice(0, query.limit);
  const data = page.map(toWireEvent);
  return {
    ok: true,
    page: {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: items.length > page.length,
    },
  };
}

/** GET /v1/organization/audit_logs, after authorization: 403 while audit logging is off. */
export function handleAuditLogRequest(query: URLSearchParams, log: AuditLog): Reply {
  if (!log.settings().enabled) return errorReply(403, AUDIT_LOG_DISABLED_MESSAGE);
  const parsed = parseAuditLogQuery(query);
  if (!parsed.ok) return errorReply(400, parsed.refusal.message, { param: parsed.refusal.param });
  const listed = auditLogPage(log, parsed.query);
  if (!listed.ok) return errorReply(400, listed.refusal.message, { param: listed.refusal.param });
  return { status: 200, body: listed.page };
}
