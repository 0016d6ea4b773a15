import { type AuditActor, AuditLog, HAND_ACTOR } from './audit-log.js';
import { randomId } from './ids.js';

/** A permission as the stand-in keeps it; the wire shape is built by ./pages.ts. */
export interface StoredPermission {
  /** cp_ followed by 24 letters and digits, like OpenAI's. */
  id: string;
  projectId: string;
  /** Unix seconds. */
  createdAt: number;
}

export interface CheckpointRecord {
  id: string;
  /** The project that fine-tuned the checkpoint; it can never be granted. */
  owner: string;
}

/** Why a request is refused with a 400; a refused create creates nothing. */
export interface Refusal {
  message: string;
  param: string | null;
}

export type Refused = { ok: false; refusal: Refusal };

export type CreateOutcome = { ok: true; created: StoredPermission[] } | Refused;

const PROJECT_ID_SHAPE = /^proj_[A-Za-z0-9]+$/;

export function newPermissionId(): string {
  return randomId('cp_', 24);
}

export interface PermissionStoreOptions {
  /** Milliseconds since the epoch; created_at is taken from it. */
  now?: () => number;
  /** When given, any other project id is refused with a 400, as OpenAI refuses unknown projects. */
  projects?: readonly string[];
  /** Where permission changes are recorded; default a new AuditLog on the same clock. */
  auditLog?: AuditLog;
}

/**
 * The stand-in's state: checkpoints with their owning project, and their permissions. Test code
 * may change it directly (to simulate a grant or revoke made by hand, outside the operator)
 * through addPermission/removePermission, which skip the HTTP contract's checks on purpose.
 * Every permission created or deleted, by any of these ways, is recorded in `auditLog`.
 */
export class PermissionStore {
  readonly #now: () => number;
  readonly #checkpoints = new Map<string, { owner: string; permissions: StoredPermission[] }>();
  /**
   * Every id ever issued, with its sort key, so an `after` cursor still places correctly when
   * its permission was deleted between two pages (as happens when drift is put right mid-list).
   */
  readonly #issued = new Map<string, StoredPermission>();
  #projects: Set<string> | undefined;
  readonly auditLog: AuditLog;

  constructor(options: PermissionStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#projects = options.projects ? new Set(options.projects) : undefined;
    this.auditLog = options.auditLog ?? new AuditLog({ now: this.#now });
  }

  /** Registers a checkpoint (idempotent when the owner is the same). */
  addCheckpoint(id: string, owner: string): void {
    const existing = this.#checkpoints.get(id);
    if (existing && existing.owner !== owner) {
      throw new Error(`checkpoint ${id} is already registered with owner ${existing.owner}`);
    }
    if (!existing) this.#checkpoints.set(id, { owner, permissions: [] });
  }

  /**
   * Forgets a checkpoint and its permissions without recording their deletion: what OpenAI's
   * audit log shows when a model goes is not known, so nothing here should lean on it.
   */
  removeCheckpoint(id: string): boolean {
    return this.#checkpoints.delete(id);
  }

  checkpoints(): CheckpointRecord[] {
    return [...this.#checkpoints].map(([id, { owner }]) => ({ id, owner }));
  }

  hasCheckpoint(id: string): boolean {
    return this.#checkpoints.has(id);
  }

  /** Adds project ids to the registry of known projects; starts one when there was none. */
  registerProjects(ids: readonly string[]): void {
    this.#projects ??= new Set();
    for (const id of ids) this.#projects.add(id);
  }

  /** Known projects, or undefined when any well-formed project id is accepted. */
  projects(): string[] | undefined {
    return this.#projects && [...this.#projects];
  }

  /** The permissions of a checkpoint, oldest first; a copy. */
  permissions(checkpoint: string): StoredPermission[] {
    return this.#require(checkpoint).permissions.map((p) => ({ ...p }));
  }

  /** The sort key of an id issued at any time, deleted or not. */
  issued(id: string): StoredPermission | undefined {
    return this.#issued.get(id);
  }

  /**
   * Adds one permission without the contract's checks (owner, known projects): a grant made by
   * hand in the OpenAI dashboard, for drift tests. A given createdAt backdates the permission, not
   * its audit event, which is recorded when it is added.
   */
  addPermission(checkpoint: string, projectId: string, createdAt?: number): StoredPermission {
    return this.#add(checkpoint, projectId, createdAt, HAND_ACTOR);
  }

  /** Removes one permission by hand; false when the checkpoint has no such permission. */
  removePermission(checkpoint: string, permissionId: string): boolean {
    return this.revoke(checkpoint, permissionId, HAND_ACTOR);
  }

  /** Removes one permission as `actor`; false when the checkpoint has no such permission. */
  revoke(checkpoint: string, permissionId: string, actor: AuditActor): boolean {
    const record = this.#require(checkpoint);
    const index = record.permissions.findIndex((p) => p.id === permissionId);
    const permission = record.permissions[index];
    if (!permission) return false;
    record.permissions.splice(index, 1);
    this.auditLog.record(
      'checkpoint.permission.deleted',
      { permissionId, checkpoint, projectId: permission.projectId },
      actor,
    );
    return true;
  }

  /**
   * The create call's semantics: every project is checked before anything is created, so a
   * refusal leaves the checkpoint untouched. A project that already has a permission gets a
   * second one, as OpenAI does, which lets tests catch a client that grants twice.
   */
  create(checkpoint: string, projectIds: readonly string[], actor: AuditActor): CreateOutcome {
    const record = this.#require(checkpoint);
    for (const projectId of projectIds) {
      if (projectId === record.owner) {
        return {
          ok: false,
          refusal: {
            message: `Cannot modify checkpoint permissions for the owning project: ${projectId}`,
            param: 'project_ids',
          },
        };
      }
      if (!PROJECT_ID_SHAPE.test(projectId)) {
        // Deliberately does not quote the id, so a client cannot lean on the message to find it.
        return {
          ok: false,
          refusal: { message: 'Invalid project id format in project_ids.', param: 'project_ids' },
        };
      }
      if (this.#projects && !this.#projects.has(projectId)) {
        return {
          ok: false,
          refusal: { message: `Project not found in organization: ${projectId}`, param: 'project_ids' },
        };
      }
    }
    const created = projectIds.map((projectId) => this.#add(checkpoint, projectId, undefined, actor));
    return { ok: true, created };
  }

  #add(
    checkpoint: string,
    projectId: string,
    createdAt: number | undefined,
    actor: AuditActor,
  ): StoredPermission {
    const record = this.#require(checkpoint);
    const permission: StoredPermission = {
      id: newPermissionId(),
      projectId,
      createdAt: createdAt ?? Math.floor(this.#now() / 1000),
    };
    record.permissions.push(permission);
    this.#issued.set(permission.id, permission);
    this.auditLog.record(
      'checkpoint.permission.created',
      { permissionId: permission.id, checkpoint, projectId },
      actor,
    );
    return { ...permission };
  }

  #require(checkpoint: string): { owner: string; permissions: StoredPermission[] } {
    const record = this.#checkpoints.get(checkpoint);
    if (!record) throw new Error(`unknown checkpoint ${checkpoint}`);
    return record;
  }
}
