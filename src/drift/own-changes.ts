import type { GrantResult, Observation, PermissionsApi } from '../openai/permissions.js';

/** Long past any overlap the follower re-reads: an id still unseen by then will not be read. */
const FORGET_AFTER_MS = 30 * 60_000;

/**
 * The permissions this process created or deleted lately, so the audit-log follower does not
 * take the operator's own calls for changes made by hand. Creates and deletes are kept apart:
 * a person deleting a permission the operator just created is news.
 */
export class OwnChanges {
  readonly #created = new Map<string, number>();
  readonly #deleted = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  created(permissionId: string): void {
    this.#created.set(permissionId, this.now());
  }

  deleted(permissionId: string): void {
    this.#deleted.set(permissionId, this.now());
  }

  /** True (once) when this process created the permission: its event is the operator's own. */
  tookCreate(permissionId: string): boolean {
    return this.#created.delete(permissionId);
  }

  /** True (once) when this process deleted the permission. */
  tookDelete(permissionId: string): boolean {
    return this.#deleted.delete(permissionId);
  }

  /** Drops ids whose events were never read (a create that timed out on our side, say). */
  prune(): void {
    const before = this.now() - FORGET_AFTER_MS;
    for (const ids of [this.#created, this.#deleted]) {
      for (const [id, at] of ids) if (at < before) ids.delete(id);
    }
  }

  get size(): number {
    return this.#created.size + this.#deleted.size;
  }
}

/**
 * The permissions API with every create and delete noted in `own`. A delete is noted before it
 * is sent: its event can be read before the response arrives, and a permission the operator is
 * revoking needs no repair if someone else deleted it first.
 */
export function observeOwnChanges(api: PermissionsApi, own: OwnChanges): PermissionsApi {
  return {
    list: (checkpoint: string, signal?: AbortSignal): Promise<Observation> => api.list(checkpoint, signal),
    async grant(
      checkpoint: string,
      projectIds: readonly string[],
      signal?: AbortSignal,
    ): Promise<GrantResult> {
      const result = await api.grant(checkpoint, projectIds, signal);
      for (const permission of result.granted) own.created(permission.id);
      return result;
    },
    revoke(checkpoint: string, permissionId: string, signal?: AbortSignal): Promise<void> {
      own.deleted(permissionId);
      return api.revoke(checkpoint, permissionId, signal);
    },
  };
}
