import { PERMISSION_CREATED, PERMISSION_DELETED, type PermissionEvent } from './audit-log.js';
import type { Permission } from './permissions.js';

/**
 * A 2xx body that is not what the contract promises. Raised here and turned into a BadResponse
 * by ./classify.ts: acting on a success we misread could create duplicates or miss a grant.
 */
export class BodyShapeError extends Error {
  constructor(detail: string) {
    super(`unexpected response body: ${detail}`);
    this.name = 'BodyShapeError';
  }
}

/** Where a cursor-paged list goes on from. */
export interface PageCursor {
  hasMore: boolean;
  lastId: string | undefined;
}

export interface PermissionPage extends PageCursor {
  permissions: Permission[];
}

/** `has_more` and `last_id`, checked: a missing flag or cursor must not read as the last page. */
function pageCursor(body: Record<string, unknown>): PageCursor {
  if (typeof body.has_more !== 'boolean') throw new BodyShapeError('has_more is not a boolean');
  const lastId = typeof body.last_id === 'string' && body.last_id !== '' ? body.last_id : undefined;
  if (body.has_more && lastId === undefined) throw new BodyShapeError('has_more without a last_id cursor');
  return { hasMore: body.has_more, lastId };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toPermission(item: unknown, index: number): Permission {
  if (
    !isRecord(item) ||
    typeof item.id !== 'string' ||
    item.id === '' ||
    typeof item.project_id !== 'string' ||
    typeof item.created_at !== 'number'
  ) {
    throw new BodyShapeError(`data[${index}] is not a checkpoint.permission`);
  }
  return { id: item.id, projectId: item.project_id, createdAt: item.created_at };
}

/**
 * A list or create page. The SDK's page classes default a missing `data` to [] and a missing
 * `has_more` to false, which would make a broken answer read as "no permissions"; this does not.
 */
export function decodePermissionPage(body: unknown, options: { paged: boolean }): PermissionPage {
  if (!isRecord(body) || !Array.isArray(body.data)) throw new BodyShapeError('no data array');
  const permissions = body.data.map(toPermission);
  if (!options.paged) return { permissions, hasMore: false, lastId: undefined };
  return { permissions, ...pageCursor(body) };
}

export function decodeDeleted(body: unknown, permissionId: string): void {
  if (!isRecord(body) || body.deleted !== true) {
    throw new BodyShapeError(`delete of ${permissionId} did not answer deleted: true`);
  }
}

export interface AuditPage extends PageCursor {
  /** Checkpoint-permission events; entries of other types are skipped (the filter asked for none). */
  events: PermissionEvent[];
}

function toPermissionEvent(item: unknown, index: number): PermissionEvent | undefined {
  if (
    !isRecord(item) ||
    typeof item.id !== 'string' ||
    item.id === '' ||
    typeof item.effective_at !== 'number'
  ) {
    throw new BodyShapeError(`data[${index}] is not an audit log entry`);
  }
  const base = { id: item.id, effectiveAt: item.effective_at };
  if (item.type === PERMISSION_CREATED) {
    const details = item[PERMISSION_CREATED];
    const data = isRecord(details) ? details.data : undefined;
    // The follower needs the permission and its checkpoint; the SDK marks every field optional,
    // so an entry without them is skipped rather than failing the whole page.
    if (!isRecord(details) || typeof details.id !== 'string' || !isRecord(data)) return undefined;
    if (typeof data.fine_tuned_model_checkpoint !== 'string') return undefined;
    return {
      ...base,
      type: PERMISSION_CREATED,
      permissionId: details.id,
      checkpoint: data.fine_tuned_model_checkpoint,
      ...(typeof data.project_id === 'string' ? { projectId: data.project_id } : {}),
    };
  }
  if (item.type === PERMISSION_DELETED) {
    const details = item[PERMISSION_DELETED];
    if (!isRecord(details) || typeof details.id !== 'string') return undefined;
    return { ...base, type: PERMISSION_DELETED, permissionId: details.id };
  }
  return undefined;
}

/** A page of the audit log, held to the same standard as a permission page. */
export function decodeAuditPage(body: unknown): AuditPage {
  if (!isRecord(body) || !Array.isArray(body.data)) throw new BodyShapeError('no data array');
  const events: PermissionEvent[] = [];
  body.data.forEach((item, index) => {
    const event = toPermissionEvent(item, index);
    if (event) events.push(event);
  });
  return { events, ...pageCursor(body) };
}
