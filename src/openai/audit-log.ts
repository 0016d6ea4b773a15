/**
 * The organisation's audit log, as far as checkpoint permissions go: what the follower in
 * ../drift/ reads to see grants and revocations made outside the operator.
 */

export const PERMISSION_CREATED = 'checkpoint.permission.created';
export const PERMISSION_DELETED = 'checkpoint.permission.deleted';
export const PERMISSION_EVENT_TYPES = [PERMISSION_CREATED, PERMISSION_DELETED] as const;
export type PermissionEventType = (typeof PERMISSION_EVENT_TYPES)[number];

interface EventBase {
  /** The log entry's id (audit_log-...): the same event read twice has the same id. */
  id: string;
  /** Unix seconds. */
  effectiveAt: number;
}

/** A permission was created; the event names its checkpoint and project. */
export interface PermissionCreatedEvent extends EventBase {
  type: typeof PERMISSION_CREATED;
  permissionId: string;
  checkpoint: string;
  projectId?: string;
}

/** A permission was deleted; the event names the permission only. */
export interface PermissionDeletedEvent extends EventBase {
  type: typeof PERMISSION_DELETED;
  permissionId: string;
}

export type PermissionEvent = PermissionCreatedEvent | PermissionDeletedEvent;

export interface AuditLogApi {
  /**
   * Every checkpoint-permission event with `effective_at` at or after `sinceSeconds`, a page at
   * a time, every page followed, in no particular order. Fails with the kinds of ./errors.ts: a
   * TerminalError when the organisation or the key may not read the log (audit logging off, a
   * key without the scope), a TransientError when trying again may help.
   */
  permissionEvents(sinceSeconds: number, signal?: AbortSignal): AsyncIterable<readonly PermissionEvent[]>;
}
