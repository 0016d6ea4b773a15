import OpenAI, { BadRequestError, InternalServerError, PermissionDeniedError, RateLimitError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY_OWNER,
  AUDIT_LOG_DISABLED_MESSAGE,
  AuditLog,
  HAND_ACTOR,
  type OpenAIStandIn,
  PermissionStore,
  startOpenAIStandIn,
} from '../src/openai-api/index.js';

/** The audit log as the official SDK reads it: what an audit-log follower would see from OpenAI. */

type AuditLogListResponse = OpenAI.Admin.Organization.AuditLogListResponse;
type AuditLogListParams = OpenAI.Admin.Organization.AuditLogListParams;

const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';
const OTHER_CHECKPOINT = 'ft:gpt-4o-2024-08-06:acme:support-bot:Q2mX8kLp';
const OWNER = 'proj_owner';
const START_MS = 1_764_662_400_000;
const PERMISSION_EVENTS = ['checkpoint.permission.created', 'checkpoint.permission.deleted'] as const;

let standIn: OpenAIStandIn;
let clock = START_MS;
let client: OpenAI;

function sdk(target: OpenAIStandIn): OpenAI {
  return new OpenAI({
    adminAPIKey: target.adminKey,
    apiKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    baseURL: target.baseURL,
    maxRetries: 0,
    logLevel: 'off',
  });
}

/** Every event the SDK's auto-pagination yields for these parameters. */
async function everyEvent(
  params: AuditLogListParams = {},
  via: OpenAI = client,
): Promise<AuditLogListResponse[]> {
  const events: AuditLogListResponse[] = [];
  for await (const event of via.admin.organization.auditLogs.list(params)) events.push(event);
  return events;
}

async function control(method: string, path: string, body?: unknown, target = standIn) {
  const response = await fetch(`${target.origin}/_sandbox${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function rawList(query: string, key: string | null = standIn.adminKey) {
  const response = await fetch(`${standIn.baseURL}/organization/audit_logs${query}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

beforeAll(async () => {
  standIn = await startOpenAIStandIn({
    checkpoints: [
      { id: CHECKPOINT, owner: OWNER },
      { id: OTHER_CHECKPOINT, owner: OWNER },
    ],
    now: () => clock,
  });
  client = sdk(standIn);
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  for (const checkpoint of [CHECKPOINT, OTHER_CHECKPOINT]) {
    for (const p of standIn.store.permissions(checkpoint)) standIn.store.removePermission(checkpoint, p.id);
  }
  standIn.auditLog.configure({ enabled: true, lagMs: 0 });
  standIn.auditLog.clear();
  standIn.faults.clear();
  standIn.clearRequests();
  clock = START_MS;
});

describe('what is recorded', () => {
  it('records a create through the API as the admin key, one event per permission', async () => {
    const page = await client.fineTuning.checkpoints.permissions.create(CHECKPOINT, {
      project_ids: ['proj_a', 'proj_b'],
    });
    const [a, b] = page.data;
    const events = await everyEvent({ event_types: [...PERMISSION_EVENTS] });
    const actor = {
      type: 'api_key',
      api_key: { id: standIn.adminKeyId, type: 'user', user: ADMIN_KEY_OWNER },
    };
    // Newest first: b was recorded after a within the same second.
    expect(events).toEqual([
      {
        id: expect.stringMatching(/^audit_log-[A-Za-z0-9]{24}$/),
        type: 'checkpoint.permission.created',
        effective_at: seconds(START_MS),
        actor,
        'checkpoint.permission.created': {
          id: b?.id,
          data: { fine_tuned_model_checkpoint: CHECKPOINT, project_id: 'proj_b' },
        },
      },
      {
        id: expect.stringMatching(/^audit_log-[A-Za-z0-9]{24}$/),
        type: 'checkpoint.permission.created',
        effective_at: seconds(START_MS),
        actor,
        'checkpoint.permission.created': {
          id: a?.id,
          data: { fine_tuned_model_checkpoint: CHECKPOINT, project_id: 'proj_a' },
        },
      },
    ]);
    expect(standIn.adminKeyId).toMatch(/^key_[A-Za-z0-9]{16}$/);
    expect(JSON.stringify(events)).not.toContain(standIn.adminKey);
  });

  it('records a delete through the API with the permission id only', async () => {
    const created = await client.fineTuning.checkpoints.permissions.create(CHECKPOINT, {
      project_ids: ['proj_a'],
    });
    const id = created.data[0]?.id ?? '';
    clock += 3_000;
    await client.fineTuning.checkpoints.permissions.delete(id, { fine_tuned_model_checkpoint: CHECKPOINT });
    const [deleted] = await everyEvent({ event_types: ['checkpoint.permission.deleted'] });
    expect(deleted).toEqual({
      id: expect.stringMatching(/^audit_log-/),
      type: 'checkpoint.permission.deleted',
      effective_at: seconds(START_MS + 3_000),
      actor: expect.objectContaining({ type: 'api_key' }),
      'checkpoint.permission.deleted': { id },
    });
  });

  it('records nothing for a refused create or a delete of a permission that is not there', async () => {
    await expect(
      client.fineTuning.checkpoints.permissions.create(CHECKPOINT, { project_ids: ['proj_a', OWNER] }),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      client.fineTuning.checkpoints.permissions.delete('cp_nope', {
        fine_tuned_model_checkpoint: CHECKPOINT,
      }),
    ).rejects.toThrow();
    expect(await everyEvent()).toEqual([]);
  });

  it('records grants and revokes by hand, through the control endpoint and the store, as a session', async () => {
    const path = `/checkpoints/${encodeURIComponent(CHECKPOINT)}/permissions`;
    const added = await control('POST', path, { project_id: 'proj_hand' });
    clock += 1_000;
    await control('DELETE', `${path}/${String(added.body.id)}`);
    clock += 1_000;
    const direct = standIn.store.addPermission(OTHER_CHECKPOINT, 'proj_direct');
    clock += 1_000;
    standIn.store.removePermission(OTHER_CHECKPOINT, direct.id);

    const events = await everyEvent();
    expect(events.map((e) => [e.type, e.effective_at])).toEqual([
      ['checkpoint.permission.deleted', seconds(START_MS) + 3],
      ['checkpoint.permission.created', seconds(START_MS) + 2],
      ['checkpoint.permission.deleted', seconds(START_MS) + 1],
      ['checkpoint.permission.created', seconds(START_MS)],
    ]);
    for (const event of events) expect(event.actor).toEqual(HAND_ACTOR);
    expect(events[1]?.['checkpoint.permission.created']).toEqual({
      id: direct.id,
      data: { fine_tuned_model_checkpoint: OTHER_CHECKPOINT, project_id: 'proj_direct' },
    });
    expect(events[2]?.['checkpoint.permission.deleted']).toEqual({ id: added.body.id });
  });

  it('dates a backdated permission by hand at the time it was added, not its created_at', async () => {
    standIn.store.addPermission(CHECKPOINT, 'proj_old', 1_000);
    const [event] = await everyEvent();
    expect(event?.effective_at).toBe(seconds(START_MS));
  });
});

describe('listing', () => {
  it('lists newest first even when the clock stepped back, ties in reverse order of recording', async () => {
    standIn.store.addPermission(CHECKPOINT, 'proj_t0');
    clock += 10_000;
    standIn.store.addPermission(CHECKPOINT, 'proj_t10');
    clock -= 5_000;
    standIn.store.addPermission(CHECKPOINT, 'proj_t5a');
    standIn.store.addPermission(CHECKPOINT, 'proj_t5b');
    // Back to t10: an event is only listed once the clock has reached it.
    clock += 5_000;
    const projects = (await everyEvent()).map((e) => e['checkpoint.permission.created']?.data?.project_id);
    expect(projects).toEqual(['proj_t10', 'proj_t5b', 'proj_t5a', 'proj_t0']);
  });

  it('filters by event type and by project, deleted events included', async () => {
    const a = standIn.store.addPermission(CHECKPOINT, 'proj_a');
    standIn.store.addPermission(CHECKPOINT, 'proj_b');
    standIn.store.addPermission(OTHER_CHECKPOINT, 'proj_c');
    standIn.store.removePermission(CHECKPOINT, a.id);

    const deletes = await everyEvent({ event_types: ['checkpoint.permission.deleted'] });
    expect(deletes.map((e) => e['checkpoint.permission.deleted']?.id)).toEqual([a.id]);
    const forA = await everyEvent({ project_ids: ['proj_a'] });
    expect(forA.map((e) => e.type)).toEqual([
      'checkpoint.permission.deleted',
      'checkpoint.permission.created',
    ]);
    const forBC = await everyEvent({ project_ids: ['proj_b', 'proj_c'] });
    expect(forBC).toHaveLength(2);
    expect(await everyEvent({ event_types: ['project.created'] })).toEqual([]);
  });

  it('filters by actor id and email', async () => {
    standIn.store.addPermission(CHECKPOINT, 'proj_hand');
    await client.fineTuning.checkpoints.permissions.create(CHECKPOINT, { project_ids: ['proj_api'] });
    const byKey = await everyEvent({ actor_ids: [standIn.adminKeyId] });
    expect(byKey.map((e) => e['checkpoint.permission.created']?.data?.project_id)).toEqual(['proj_api']);
    const byEmail = await everyEvent({ actor_emails: ['someone@example.com'] });
    expect(byEmail.map((e) => e['checkpoint.permission.created']?.data?.project_id)).toEqual(['proj_hand']);
  });

  it('honours each effective_at bound at its edge', async () => {
    for (let i = 0; i < 5; i++) {
      standIn.store.addPermission(CHECKPOINT, `proj_s${i}`);
      clock += 1_000;
    }
    const base = seconds(START_MS);
    const at = async (effective_at: NonNullable<AuditLogListParams['effective_at']>) =>
      (await everyEvent({ effective_at })).map((e) => e.effective_at - base);
    expect(await at({ gte: base + 3 })).toEqual([4, 3]);
    expect(await at({ gt: base + 3 })).toEqual([4]);
    expect(await at({ lte: base + 1 })).toEqual([1, 0]);
    expect(await at({ lt: base + 1 })).toEqual([0]);
    expect(await at({ gt: base, lt: base + 4 })).toEqual([3, 2, 1]);
  });

  it('is read by the SDK with its own encoding: bracketed arrays and bounds', async () => {
    await everyEvent({
      event_types: [...PERMISSION_EVENTS],
      effective_at: { gte: seconds(START_MS) },
      project_ids: ['proj_a'],
      limit: 100,
    });
    const [record] = standIn.requests();
    expect(record).toMatchObject({
      method: 'GET',
      path: '/v1/organization/audit_logs',
      operation: 'audit_log',
      status: 200,
      query: {
        'event_types[]': 'checkpoint.permission.deleted',
        'effective_at[gte]': String(seconds(START_MS)),
        'project_ids[]': 'proj_a',
        limit: '100',
      },
    });
    expect(record?.checkpoint).toBeUndefined();
  });

  it('pages with the SDK: after is the last id of the page before, nothing twice, nothing missed', async () => {
    for (let i = 0; i < 250; i++) {
      standIn.store.addPermission(CHECKPOINT, `proj_p${i}`);
      if (i % 7 === 0) clock += 1_000;
    }
    const events = await everyEvent({ limit: 100 });
    const projects = events.map((e) => e['checkpoint.permission.created']?.data?.project_id);
    expect(projects).toEqual(Array.from({ length: 250 }, (_, i) => `proj_p${249 - i}`));

    const pages = standIn.requests();
    expect(pages).toHaveLength(3);
    expect(pages[0]?.query.after).toBeUndefined();
    expect(pages[1]?.query.after).toBe(events[99]?.id);
    expect(pages[2]?.query.after).toBe(events[199]?.id);
    expect(standIn.counts()).toEqual({ list: 0, grant: 0, revoke: 0, audit_log: 3 });
  });

  it('answers the page shape, with the default limit of 20, and before for the page ahead', async () => {
    for (let i = 0; i < 30; i++) standIn.store.addPermission(CHECKPOINT, `proj_p${i}`);
    const first = await rawList('');
    const data = first.body.data as { id: string }[];
    expect(first.body).toMatchObject({
      object: 'list',
      first_id: data[0]?.id,
      last_id: data[19]?.id,
      has_more: true,
    });
    expect(data).toHaveLength(20);

    const second = await rawList(`?after=${data[19]?.id}`);
    expect(second.body).toMatchObject({ has_more: false });
    const secondIds = (second.body.data as { id: string }[]).map((e) => e.id);
    expect(secondIds).toHaveLength(10);

    const back = await rawList(`?before=${secondIds[0]}&limit=5`);
    expect((back.body.data as { id: string }[]).map((e) => e.id)).toEqual(data.slice(15).map((e) => e.id));
    expect(back.body.has_more).toBe(true);
    const between = await rawList(`?after=${data[2]?.id}&before=${data[6]?.id}`);
    expect((between.body.data as { id: string }[]).map((e) => e.id)).toEqual(
      data.slice(3, 6).map((e) => e.id),
    );
    expect(between.body.has_more).toBe(false);

    standIn.auditLog.clear();
    expect((await rawList('')).body).toEqual({
      object: 'list',
      data: [],
      first_id: null,
      last_id: null,
      has_more: false,
    });
  });
});

describe('parameters', () => {
  it.each([
    { params: { limit: 0 }, param: 'limit' },
    { params: { limit: 101 }, param: 'limit' },
    { params: { effective_at: { gte: 1.5 } }, param: 'effective_at[gte]' },
    { params: { effective_at: { lt: -3 } }, param: 'effective_at[lt]' },
    { params: { after: 'audit_log-neverIssued000000000000' }, param: 'after' },
    { params: { before: 'audit_log-neverIssued000000000000' }, param: 'before' },
    { params: { resource_ids: ['cp_x'] }, param: 'resource_ids[]' },
  ] as const)('refuses $params with a 400 naming $param', async ({ params, param }) => {
    const refused = await client.admin.organization.auditLogs
      .list(params as AuditLogListParams)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BadRequestError);
    expect((refused as BadRequestError).error).toMatchObject({
      param,
      type: 'invalid_request_error',
      code: null,
    });
  });

  it.each([
    { query: '?limit=ten', param: 'limit' },
    { query: '?effective_at%5Bgte%5D=yesterday', param: 'effective_at[gte]' },
    { query: '?effective_at%5Bsince%5D=5', param: 'effective_at[since]' },
    { query: '?event_types=checkpoint.permission.created', param: 'event_types' },
  ])('refuses $query over plain HTTP with a 400 naming $param', async ({ query, param }) => {
    const answer = await rawList(query);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ param, message: expect.stringContaining(param) });
  });

  it('accepts the limits 1 and 100', async () => {
    standIn.store.addPermission(CHECKPOINT, 'proj_a');
    standIn.store.addPermission(CHECKPOINT, 'proj_b');
    expect((await client.admin.organization.auditLogs.list({ limit: 1 })).data).toHaveLength(1);
    expect((await client.admin.organization.auditLogs.list({ limit: 100 })).data).toHaveLength(2);
  });

  it('checks the key first: none, a project key and a wrong admin key are 401s', async () => {
    expect((await rawList('?limit=0', null)).status).toBe(401);
    const projectKey = await rawList('', 'sk-proj-abcdefghijklmnop');
    expect(projectKey.status).toBe(401);
    expect(projectKey.body.error).toMatchObject({ message: expect.stringContaining('api.audit_logs.read') });
    expect((await rawList('', 'sk-admin-wrong-wrong-wrong')).status).toBe(401);
  });

  it('serves GET only', async () => {
    const response = await fetch(`${standIn.baseURL}/organization/audit_logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${standIn.adminKey}` },
    });
    expect(response.status).toBe(404);
  });
});

describe('lag', () => {
  it('hides an event until lagMs after its change, then shows it with the time of the change', async () => {
    standIn.auditLog.configure({ lagMs: 5_000 });
    const since = seconds(clock);
    const poll = () => everyEvent({ event_types: [...PERMISSION_EVENTS], effective_at: { gte: since } });
    await client.fineTuning.checkpoints.permissions.create(CHECKPOINT, { project_ids: ['proj_late'] });
    expect(await poll()).toEqual([]);
    clock += 4_999;
    expect(await poll()).toEqual([]);
    expect(standIn.auditLog.counts()).toMatchObject({ recorded: 1, visible: 0, lagging: 1 });
    clock += 1;
    const [event] = await poll();
    expect(event?.effective_at).toBe(since);
    expect(event?.['checkpoint.permission.created']?.data?.project_id).toBe('proj_late');
  });

  it('lets a poll that asked for effective_at after its last one miss an event that arrives late', async () => {
    standIn.auditLog.configure({ lagMs: 2_000 });
    standIn.store.addPermission(CHECKPOINT, 'proj_early');
    clock += 1_000;
    // A follower polling now sees nothing, and moves its bound past the change.
    expect(await everyEvent()).toEqual([]);
    const nextBound = seconds(clock);
    clock += 2_000;
    expect(await everyEvent({ effective_at: { gte: nextBound } })).toEqual([]);
    expect(await everyEvent()).toHaveLength(1);
  });
});

describe('audit logging off', () => {
  it('answers 403 with an OpenAI error body, and records nothing meanwhile', async () => {
    standIn.auditLog.configure({ enabled: false });
    const refused = await client.admin.organization.auditLogs.list().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    const raw = await rawList('?limit=0');
    expect(raw).toEqual({
      status: 403,
      body: {
        error: {
          message: AUDIT_LOG_DISABLED_MESSAGE,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    });
    expect(AUDIT_LOG_DISABLED_MESSAGE).toContain('audit logging is not enabled for this organization');

    standIn.store.addPermission(CHECKPOINT, 'proj_unseen');
    standIn.auditLog.configure({ enabled: true });
    standIn.store.addPermission(CHECKPOINT, 'proj_seen');
    const events = await everyEvent();
    expect(events.map((e) => e['checkpoint.permission.created']?.data?.project_id)).toEqual(['proj_seen']);
    expect(standIn.auditLog.counts()).toMatchObject({ recorded: 1, unrecorded: 1 });
    expect(standIn.counts().audit_log).toBe(3);
  });

  it('is off from the start with the constructor option', async () => {
    const off = await startOpenAIStandIn({ auditLog: { enabled: false, lagMs: 1_500 } });
    try {
      await expect(sdk(off).admin.organization.auditLogs.list()).rejects.toBeInstanceOf(
        PermissionDeniedError,
      );
      expect((await control('GET', '/audit-log', undefined, off)).body).toMatchObject({
        enabled: false,
        lagMs: 1_500,
      });
    } finally {
      await off.close();
    }
  });

  it('refuses a bad constructor option', async () => {
    await expect(startOpenAIStandIn({ auditLog: { lagMs: -1 } })).rejects.toThrow(/lagMs/);
  });
});

describe('faults on audit_log', () => {
  it('serves a 500 once to an audit log read, then answers again', async () => {
    standIn.faults.inject({ kind: 'server-error', operation: 'audit_log' });
    await expect(client.admin.organization.auditLogs.list()).rejects.toBeInstanceOf(InternalServerError);
    expect((await client.admin.organization.auditLogs.list()).data).toEqual([]);
    expect(standIn.requests().map((r) => [r.operation, r.status, r.fault])).toEqual([
      ['audit_log', 500, 'server-error'],
      ['audit_log', 200, undefined],
    ]);
  });

  it('serves a 429 with retry-after to an audit log read', async () => {
    standIn.faults.inject({ kind: 'rate-limit', operation: 'audit_log', retryAfterSeconds: 7 });
    const refused = await client.admin.organization.auditLogs.list().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RateLimitError);
    expect((refused as RateLimitError).headers?.get('retry-after')).toBe('7');
  });

  it('leaves a fault that names no operation to the permission calls', async () => {
    standIn.faults.inject({ kind: 'server-error' });
    await client.admin.organization.auditLogs.list();
    expect(standIn.faults.pending()).toHaveLength(1);
    await expect(client.fineTuning.checkpoints.permissions.list(CHECKPOINT)).rejects.toBeInstanceOf(
      InternalServerError,
    );
    expect(standIn.faults.pending()).toEqual([]);
  });

  it('queues an audit_log fault through the control endpoint', async () => {
    expect((await control('POST', '/faults', { kind: 'reset', operation: 'audit_log' })).status).toBe(201);
    await expect(client.admin.organization.auditLogs.list()).rejects.toThrow();
    expect(standIn.requests()[0]).toMatchObject({ operation: 'audit_log', status: null, fault: 'reset' });
  });
});

describe('control endpoint', () => {
  it('shows settings, the key tracking id and counts; changes lag and logging', async () => {
    standIn.store.addPermission(CHECKPOINT, 'proj_a');
    expect((await control('GET', '/audit-log')).body).toEqual({
      enabled: true,
      lagMs: 0,
      retention: 200_000,
      adminKeyId: standIn.adminKeyId,
      counts: { recorded: 1, retained: 1, visible: 1, lagging: 0, evicted: 0, unrecorded: 0 },
    });
    const changed = await control('POST', '/audit-log', { lagMs: 2_000 });
    expect(changed).toMatchObject({ status: 200, body: { enabled: true, lagMs: 2_000 } });
    expect((await control('POST', '/audit-log', { enabled: false })).body).toMatchObject({
      enabled: false,
      lagMs: 2_000,
    });
    expect(standIn.auditLog.settings()).toMatchObject({ enabled: false, lagMs: 2_000 });
    expect((await control('DELETE', '/audit-log')).body).toMatchObject({
      counts: { recorded: 0, retained: 0 },
    });
  });

  it.each([
    { body: { lagMs: -1 }, names: 'lagMs' },
    { body: { lagMs: '5s' }, names: 'lagMs' },
    { body: { enabled: 'yes' }, names: 'enabled' },
    { body: { retention: 0 }, names: 'retention' },
    { body: { lag: 5 }, names: 'lag' },
    { body: [true], names: 'enabled' },
  ])('refuses $body with a 400 naming $names, changing nothing', async ({ body, names }) => {
    const answer = await control('POST', '/audit-log', body);
    expect(answer.status).toBe(400);
    expect((answer.body.error as { message: string }).message).toContain(names);
    if (!Array.isArray(body)) expect(answer.body.error).toMatchObject({ param: names });
    expect(standIn.auditLog.settings()).toEqual({ enabled: true, lagMs: 0, retention: 200_000 });
  });
});

describe('retention', () => {
  it('keeps only the newest events, and counts the ones it forgot', async () => {
    const log = new AuditLog({ now: () => clock, retention: 3 });
    const store = new PermissionStore({ now: () => clock, auditLog: log });
    store.addCheckpoint(CHECKPOINT, OWNER);
    for (let i = 0; i < 5; i++) store.addPermission(CHECKPOINT, `proj_r${i}`);
    expect(log.events().map((e) => e.projectId)).toEqual(['proj_r2', 'proj_r3', 'proj_r4']);
    expect(log.counts()).toMatchObject({ recorded: 5, retained: 3, evicted: 2 });
  });

  it('stays bounded over many more events than it keeps', () => {
    const log = new AuditLog({ now: () => clock, retention: 1_000 });
    for (let i = 0; i < 10_000; i++) {
      log.record(
        'checkpoint.permission.created',
        { permissionId: `cp_${i}`, checkpoint: CHECKPOINT, projectId: 'proj_x' },
        HAND_ACTOR,
      );
    }
    const kept = log.visible();
    expect(kept).toHaveLength(1_000);
    expect(kept[0]?.permissionId).toBe('cp_9999');
    expect(kept.at(-1)?.permissionId).toBe('cp_9000');
    expect(log.find(kept[0]?.id ?? '')).toBeDefined();
    expect(log.counts()).toMatchObject({ retained: 1_000, evicted: 9_000 });
  });

  it('answers a cursor to an evicted event with a 400 naming after', async () => {
    standIn.auditLog.configure({ retention: 2 });
    try {
      standIn.store.addPermission(CHECKPOINT, 'proj_a');
      const [oldest] = await everyEvent();
      standIn.store.addPermission(CHECKPOINT, 'proj_b');
      standIn.store.addPermission(CHECKPOINT, 'proj_c');
      const refused = await client.admin.organization.auditLogs
        .list({ after: oldest?.id ?? '' })
        .catch((error: unknown) => error);
      expect((refused as BadRequestError).error).toMatchObject({ param: 'after' });
    } finally {
      standIn.auditLog.configure({ retention: 200_000 });
    }
  });
});
