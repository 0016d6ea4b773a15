import {
  PERMISSION_CREATED,
  PERMISSION_DELETED,
  type PermissionEvent,
} from '../../../src/openai/audit-log.js';
import type { Permission } from '../../../src/openai/permissions.js';

/** Who made a change: the operator through the API, or a person in the dashboard. */
export type Actor = 'operator' | 'hand';

/** An audit-log entry and the moment it becomes readable (effective_at plus the log's lag). */
interface LogEntry {
  event: PermissionEvent;
  visibleAtMs: number;
}

/**
 * An OpenAI organisation as far as checkpoint permissions go, on the clock of the benchmark
 * (fake timers): the permissions of each checkpoint, with ids, and an audit log that records
 * every create and delete, whoever made it, readable `lagMs` after its effective_at.
 * Checkpoints exist from the start; none is ever deleted.
 */
export class Organisation {
  readonly #permissions = new Map<string, Map<string, Permission>>();
  /** In effective_at order: time only moves forward. */
  readonly #log: LogEntry[] = [];
  readonly #lagMs: number;
  readonly #listeners: Array<(checkpoint: string, actor: Actor) => void> = [];
  #nextPermission = 0;
  #nextEntry = 0;

  constructor(checkpoints: readonly string[], lagMs: number) {
    for (const checkpoint of checkpoints) this.#permissions.set(checkpoint, new Map());
    this.#lagMs = lagMs;
  }

  /** Called after every change, with the checkpoint it changed. */
  onChange(listener: (checkpoint: string, actor: Actor) => void): void {
    this.#listeners.push(listener);
  }

  exists(checkpoint: string): boolean {
    return this.#permissions.has(checkpoint);
  }

  permissions(checkpoint: string): Permission[] {
    return [...(this.#permissions.get(checkpoint)?.values() ?? [])];
  }

  projects(checkpoint: string): Set<string> {
    return new Set(this.permissions(checkpoint).map((p) => p.projectId));
  }

  /** One permission per project; a project already granted keeps its permission (and id). */
  create(checkpoint: string, projectIds: readonly string[], actor: Actor): Permission[] {
    const held = this.#held(checkpoint);
    const out: Permission[] = [];
    for (const projectId of projectIds) {
      const existing = [...held.values()].find((p) => p.projectId === projectId);
      if (existing) {
        out.push(existing);
        continue;
      }
      const now = Date.now();
      const permission: Permission = {
        id: `cp_${(this.#nextPermission++).toString(36).padStart(8, '0')}`,
        projectId,
        createdAt: Math.floor(now / 1000),
      };
      held.set(permission.id, permission);
      out.push(permission);
      this.#record({
        id: this.#entryId(),
        type: PERMISSION_CREATED,
        effectiveAt: Math.floor(now / 1000),
        permissionId: permission.id,
        checkpoint,
        projectId,
      });
    }
    this.#changed(checkpoint, actor);
    return out;
  }

  /** False when the permission was already gone (OpenAI answers 404). */
  delete(checkpoint: string, permissionId: string, actor: Actor): boolean {
    const held = this.#held(checkpoint);
    if (!held.delete(permissionId)) return false;
    this.#record({
      id: this.#entryId(),
      type: PERMISSION_DELETED,
      effectiveAt: Math.floor(Date.now() / 1000),
      permissionId,
    });
    this.#changed(checkpoint, actor);
    return true;
  }

  /** Every entry with effective_at >= sinceSeconds that is readable now. */
  events(sinceSeconds: number): PermissionEvent[] {
    const now = Date.now();
    const out: PermissionEvent[] = [];
    for (let i = this.#firstAtOrAfter(sinceSeconds); i < this.#log.length; i += 1) {
      const entry = this.#log[i] as LogEntry;
      if (entry.visibleAtMs <= now) out.push(entry.event);
    }
    return out;
  }

  /** How many entries the log holds (every create and delete so far). */
  get logSize(): number {
    return this.#log.length;
  }

  #held(checkpoint: string): Map<string, Permission> {
    const held = this.#permissions.get(checkpoint);
    if (!held) throw new Error(`no checkpoint ${checkpoint} in the organisation`);
    return held;
  }

  #record(event: PermissionEvent): void {
    this.#log.push({ event, visibleAtMs: Date.now() + this.#lagMs });
  }

  #entryId(): string {
    return `audit_log-${(this.#nextEntry++).toString(36).padStart(8, '0')}`;
  }

  #firstAtOrAfter(sinceSeconds: number): number {
    let low = 0;
    let high = this.#log.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#log[middle] as LogEntry).event.effectiveAt < sinceSeconds) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #changed(checkpoint: string, actor: Actor): void {
    for (const listener of this.#listeners) listener(checkpoint, actor);
  }
}
