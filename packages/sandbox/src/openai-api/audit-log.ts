import { randomId } from './ids.js';

/** The only audit log events the stand-in records: the ones a checkpoint permission change makes. */
export const AUDIT_EVENT_TYPES = ['checkpoint.permission.created', 'checkpoint.permission.deleted'] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Who made a change, in the audit log's wire shape (`actor` of AuditLogListResponse). */
export type AuditActor =
  | {
      type: 'api_key';
      api_key: {
        id: string;
        type: 'user' | 'service_account';
        user?: { id: string; email: string };
        service_account?: { id: string };
      };
    }
  | { type: 'session'; session: { user: { id: string; email: string }; ip_address: string } };

/**
 * A person in the OpenAI dashboard: the actor of every change made through the control endpoint
 * or the store's addPermission/removePermission, which stand for grants and revokes by hand.
 */
export const HAND_ACTOR: AuditActor = {
  type: 'session',
  session: {
    user: { id: 'user-HandMadeChange0000000001', email: 'someone@example.com' },
    ip_address: '203.0.113.7',
  },
};

/** The owner of the stand-in's admin key, as OpenAI shows the user an admin key belongs to. */
export const ADMIN_KEY_OWNER = { id: 'user-AdminKeyOwner00000000001', email: 'admin@example.com' };

/** The actor of changes made through the admin API with the admin key whose tracking id is `keyId`. */
export function apiKeyActor(keyId: string): AuditActor {
  return { type: 'api_key', api_key: { id: keyId, type: 'user', user: { ...ADMIN_KEY_OWNER } } };
}

/** OpenAI's tracking id of an API key (never the key itself): `key_` and 16 letters and digits. */
export function newKeyTrackingId(): string {
  return randomId('key_', 16);
}

/** One recorded change; the wire shape is built by ./audit-log-api.ts. */
export interface AuditEvent {
  /** audit_log- followed by 24 letters and digits. */
  id: string;
  type: AuditEventType;
  /** When the change happened, ms since the epoch: lag is measured from here. */
  at: number;
  /** Unix seconds of `at`: what the API calls effective_at. */
  effectiveAt: number;
  /** Order of recording, for ties on effectiveAt. */
  seq: number;
  actor: AuditActor;
  permissionId: string;
  checkpoint: string;
  /** The project the permission was for; a deleted event does not show it, but filters on it. */
  projectId: string;
}

export interface AuditLogSettings {
  /** Off: the API answers 403 and changes are not recorded, as in an organisation without audit logging. */
  enabled: boolean;
  /** How long after a change its event becomes visible in the API, in ms. */
  lagMs: number;
  /** How many of the newest events are kept; older ones are forgotten. */
  retention: number;
}

export interface AuditLogOptions extends Partial<AuditLogSettings> {
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
}

export interface AuditLogCounts {
  /** Events recorded since the start (or the last clear). */
  recorded: number;
  /** Recorded and still kept. */
  retained: number;
  /** Kept and past the lag: what the API can list now. */
  visible: number;
  /** Kept but still inside the lag. */
  lagging: number;
  /** Forgotten because newer ones exceeded the retention. */
  evicted: number;
  /** Changes made while audit logging was off, never recorded. */
  unrecorded: number;
}

export const DEFAULT_RETENTION = 200_000;

/** The first setting that is not one, with why; undefined when all are valid. */
export function checkSettings(
  settings: Partial<AuditLogSettings>,
): { field: string; message: string } | undefined {
  const { enabled, lagMs, retention } = settings;
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    return { field: 'enabled', message: 'enabled must be a boolean' };
  }
  if (lagMs !== undefined && (typeof lagMs !== 'number' || !Number.isFinite(lagMs) || lagMs < 0)) {
    return { field: 'lagMs', message: 'lagMs must be a non-negative number of milliseconds' };
  }
  if (
    retention !== undefined &&
    (typeof retention !== 'number' || !Number.isInteger(retention) || retention < 1)
  ) {
    return { field: 'retention', message: 'retention must be a positive integer' };
  }
  return undefined;
}

/**
 * The organisation's audit log, as far as checkpoint permissions go: every permission created or
 * deleted, with its actor. Bounded: only the newest `retention` events are kept, so a long run of
 * many shares does not grow without end.
 */
export class AuditLog {
  readonly #now: () => number;
  #settings: AuditLogSettings;
  /** Oldest first; the slots before #head are evicted (emptied) and await compaction. */
  #events: (AuditEvent | undefined)[] = [];
  #head = 0;
  #seq = 0;
  #evicted = 0;
  #unrecorded = 0;
  /** Whether effectiveAt has never gone down in recording order (a fake clock may step back). */
  #ordered = true;

  constructor(options: AuditLogOptions = {}) {
    const { now, ...settings } = options;
    const refused = checkSettings(settings);
    if (refused) throw new Error(`audit log: ${refused.message}`);
    this.#now = now ?? Date.now;
    this.#settings = {
      enabled: settings.enabled ?? true,
      lagMs: settings.lagMs ?? 0,
      retention: settings.retention ?? DEFAULT_RETENTION,
    };
  }

  settings(): AuditLogSettings {
    return { ...this.#settings };
  }

  /** Changes settings; throws, changing nothing, when one is invalid. */
  configure(settings: Partial<AuditLogSettings>): AuditLogSettings {
    const refused = checkSettings(settings);
    if (refused) throw new Error(refused.message);
    this.#settings = {
      enabled: settings.enabled ?? this.#settings.enabled,
      lagMs: settings.lagMs ?? this.#settings.lagMs,
      retention: settings.retention ?? this.#settings.retention,
    };
    this.#evict();
    return this.settings();
  }

  /** Records one change, unless audit logging is off. */
  record(
    type: AuditEventType,
    change: { permissionId: string; checkpoint: string; projectId: string },
    actor: AuditActor,
  ): void {
    if (!this.#settings.enabled) {
      this.#unrecorded += 1;
      return;
    }
    const at = this.#now();
    const event: AuditEvent = {
      id: randomId('audit_log-', 24),
      type,
      at,
      effectiveAt: Math.floor(at / 1000),
      seq: this.#seq++,
      actor,
      permissionId: change.permissionId,
      checkpoint: change.checkpoint,
      projectId: change.projectId,
    };
    const last = this.#events.at(-1);
    if (last && event.effectiveAt < last.effectiveAt) this.#ordered = false;
    this.#events.push(event);
    this.#evict();
  }

  /**
   * A kept event by id, visible or not. A scan, newest first where cursors usually point: no
   * index by id, which would cost more memory per event than the event itself.
   */
  find(id: string): AuditEvent | undefined {
    for (let i = this.#events.length - 1; i >= this.#head; i--) {
      const event = this.#events[i];
      if (event?.id === id) return event;
    }
    return undefined;
  }

  /** The events the API can show now (past the lag), newest first; not copies. */
  visible(): AuditEvent[] {
    const cutoff = this.#now() - this.#settings.lagMs;
    const shown: AuditEvent[] = [];
    for (let i = this.#events.length - 1; i >= this.#head; i--) {
      const event = this.#events[i];
      if (event && event.at <= cutoff) shown.push(event);
    }
    return this.#ordered ? shown : shown.sort(newestFirst);
  }

  /** Every kept event, visible or not, oldest first; copies. */
  events(): AuditEvent[] {
    return this.#events.slice(this.#head).flatMap((e) => (e ? [structuredClone(e)] : []));
  }

  counts(): AuditLogCounts {
    const retained = this.#events.length - this.#head;
    const visible = this.visible().length;
    return {
      recorded: this.#seq,
      retained,
      visible,
      lagging: retained - visible,
      evicted: this.#evicted,
      unrecorded: this.#unrecorded,
    };
  }

  /** Forgets every event and the counts; the settings stay. */
  clear(): void {
    this.#events = [];
    this.#head = 0;
    this.#seq = 0;
    this.#evicted = 0;
    this.#unrecorded = 0;
    this.#ordered = true;
  }

  #evict(): void {
    while (this.#events.length - this.#head > this.#settings.retention) {
      this.#events[this.#head] = undefined;
      this.#head += 1;
      this.#evicted += 1;
    }
    // Dropping from the front one at a time would copy the array each time; compact in bulk.
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** effective_at descending, then the later recorded first. */
export function newestFirst(a: AuditEvent, b: AuditEvent): number {
  return b.effectiveAt - a.effectiveAt || b.seq - a.seq;
}
