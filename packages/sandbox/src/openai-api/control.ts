import { type AuditLogSettings, checkSettings } from './audit-log.js';
import { type FaultInjector, type FaultSpec, parseFaultSpec } from './faults.js';
import { errorReply, type Reply } from './http.js';
import { toWire } from './pages.js';
import type { RequestLog } from './request-log.js';
import type { PermissionStore } from './store.js';

export const CONTROL_PREFIX = '/_sandbox/';

export interface ControlState {
  store: PermissionStore;
  faults: FaultInjector;
  log: RequestLog;
  /** The admin key's tracking id, as the audit log names it. */
  adminKeyId: string;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reply: Reply } {
  try {
    return { ok: true, value: text === '' ? {} : JSON.parse(text) };
  } catch {
    return { ok: false, reply: errorReply(400, 'body must be JSON') };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const AUDIT_LOG_FIELDS: ReadonlySet<string> = new Set(['enabled', 'lagMs', 'retention']);

/** `{enabled?, lagMs?, retention?}`, strictly; a refusal names the field as its param. */
function parseAuditLogSettings(body: unknown): { ok: true; settings: Partial<AuditLogSettings> } | Reply {
  if (!isRecord(body)) {
    return errorReply(400, 'expected {"enabled"?: boolean, "lagMs"?: number, "retention"?: number}');
  }
  const unknown = Object.keys(body).filter((k) => !AUDIT_LOG_FIELDS.has(k));
  if (unknown.length > 0) {
    return errorReply(400, `unknown audit log fields: ${unknown.join(', ')}`, { param: unknown[0] ?? null });
  }
  const refused = checkSettings(body);
  if (refused) return errorReply(400, refused.message, { param: refused.field });
  return { ok: true, settings: body as Partial<AuditLogSettings> };
}

function auditLogView(state: ControlState): unknown {
  const { auditLog } = state.store;
  return { ...auditLog.settings(), adminKeyId: state.adminKeyId, counts: auditLog.counts() };
}

function checkpointsView(store: PermissionStore): unknown {
  return {
    checkpoints: store.checkpoints().map((c) => ({ ...c, permissions: store.permissions(c.id).map(toWire) })),
  };
}

/**
 * The stand-in's control endpoint, for the CLI, the demo and tests written in other languages.
 * It needs no key: the stand-in only listens on the loopback interface.
 *
 * - `GET|POST|DELETE /_sandbox/faults`: pending faults; queue one fault or an array; clear.
 * - `GET|DELETE /_sandbox/requests`: the request log and per-operation counts; clear both.
 * - `GET|POST /_sandbox/checkpoints`: checkpoints with their permissions; register `{id, owner}`.
 * - `POST /_sandbox/projects`: register known projects `{project_ids: [...]}`.
 * - `POST /_sandbox/checkpoints/{checkpoint}/permissions` `{project_id}`: grant by hand (drift).
 * - `DELETE /_sandbox/checkpoints/{checkpoint}/permissions/{id}`: revoke by hand (drift).
 * - `GET|POST|DELETE /_sandbox/audit-log`: audit log settings, the admin key's tracking id and
 *   counts; change `{enabled?, lagMs?, retention?}`; forget every event.
 */
export function handleControlRequest(
  method: string,
  pathname: string,
  text: string,
  state: ControlState,
): Reply {
  const { store, faults, log } = state;
  const route = `${method} ${pathname.slice(CONTROL_PREFIX.length - 1)}`;
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed.reply;
  const body = parsed.value;

  switch (route) {
    case 'GET /faults':
      return { status: 200, body: { faults: faults.pending() } };
    case 'POST /faults': {
      const specs: FaultSpec[] = [];
      for (const item of Array.isArray(body) ? body : [body]) {
        const spec = parseFaultSpec(item);
        if (typeof spec === 'string') return errorReply(400, spec);
        specs.push(spec);
      }
      try {
        faults.inject(...specs);
      } catch (error: unknown) {
        return errorReply(400, error instanceof Error ? error.message : String(error));
      }
      return { status: 201, body: { faults: faults.pending() } };
    }
    case 'DELETE /faults':
      faults.clear();
      return { status: 200, body: { faults: [] } };
    case 'GET /requests':
      return { status: 200, body: { requests: log.records(), counts: log.counts() } };
    case 'DELETE /requests':
      log.clear();
      return { status: 200, body: { requests: [], counts: log.counts() } };
    case 'GET /checkpoints':
      return { status: 200, body: checkpointsView(store) };
    case 'POST /checkpoints': {
      if (!isRecord(body) || typeof body.id !== 'string' || typeof body.owner !== 'string') {
        return errorReply(400, 'expected {"id": "<checkpoint>", "owner": "proj_..."}');
      }
      try {
        store.addCheckpoint(body.id, body.owner);
      } catch (error: unknown) {
        return errorReply(409, error instanceof Error ? error.message : String(error));
      }
      return { status: 201, body: { id: body.id, owner: body.owner } };
    }
    case 'GET /audit-log':
      return { status: 200, body: auditLogView(state) };
    case 'POST /audit-log': {
      const parsed = parseAuditLogSettings(body);
      if (!('ok' in parsed)) return parsed;
      store.auditLog.configure(parsed.settings);
      return { status: 200, body: auditLogView(state) };
    }
    case 'DELETE /audit-log':
      store.auditLog.clear();
      return { status: 200, body: auditLogView(state) };
    case 'POST /projects': {
      const ids = isRecord(body) ? body.project_ids : undefined;
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
        return errorReply(400, 'expected {"project_ids": ["proj_...", ...]}');
      }
      store.registerProjects(ids);
      return { status: 200, body: { projects: store.projects() } };
    }
  }
  return handleHandEdit(method, pathname, body, store);
}

const HAND_EDIT_PATH = /^\/_sandbox\/checkpoints\/([^/]+)\/permissions(?:\/([^/]+))?$/;

function handleHandEdit(method: string, pathname: string, body: unknown, store: PermissionStore): Reply {
  const match = HAND_EDIT_PATH.exec(pathname);
  const encoded = match?.[1];
  if (!match || !encoded) return errorReply(404, `no control route ${method} ${pathname}`);
  let checkpoint: string;
  try {
    checkpoint = decodeURIComponent(encoded);
  } catch {
    return errorReply(400, 'checkpoint is not valid percent-encoding');
  }
  if (!store.hasCheckpoint(checkpoint)) return errorReply(404, `unknown checkpoint ${checkpoint}`);
  const permissionId = match[2];
  if (permissionId === undefined && method === 'POST') {
    if (!isRecord(body) || typeof body.project_id !== 'string')
      return errorReply(400, 'expected {"project_id": "proj_..."}');
    return { status: 201, body: toWire(store.addPermission(checkpoint, body.project_id)) };
  }
  if (permissionId !== undefined && method === 'DELETE') {
    return store.removePermission(checkpoint, permissionId)
      ? { status: 200, body: { id: permissionId, deleted: true, object: 'checkpoint.permission' } }
      : errorReply(404, `no permission ${permissionId} on ${checkpoint}`);
  }
  return errorReply(404, `no control route ${method} ${pathname}`);
}
