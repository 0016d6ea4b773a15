import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAIStandIn, startOpenAIStandIn, type WirePage } from '../src/openai-api/index.js';

/** The stand-in's own contract, over plain HTTP: what a strict OpenAI admin API would answer. */

const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';
const OWNER = 'proj_owner';
const CREATED_AT = 1_750_000_000;

let standIn: OpenAIStandIn;

function permissionsUrl(checkpoint = CHECKPOINT, suffix = ''): string {
  return `${standIn.baseURL}/fine_tuning/checkpoints/${encodeURIComponent(checkpoint)}/permissions${suffix}`;
}

async function call(
  method: string,
  url: string,
  body?: string,
  key: string | null = standIn.adminKey,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Left as text: the HTML 502 page.
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

async function control(method: string, path: string, body?: unknown) {
  return call(
    method,
    `${standIn.origin}/_sandbox${path}`,
    body === undefined ? undefined : JSON.stringify(body),
    null,
  );
}

beforeAll(async () => {
  standIn = await startOpenAIStandIn({
    checkpoints: [{ id: CHECKPOINT, owner: OWNER }],
    now: () => CREATED_AT * 1000 + 123,
  });
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  for (const p of standIn.store.permissions(CHECKPOINT)) standIn.store.removePermission(CHECKPOINT, p.id);
  standIn.faults.clear();
  standIn.clearRequests();
});

describe('create', () => {
  it('answers a page of the created permissions, created_at from the clock', async () => {
    const { status, body, headers } = await call(
      'POST',
      permissionsUrl(),
      JSON.stringify({ project_ids: ['proj_a', 'proj_b'] }),
    );
    expect(status).toBe(200);
    expect(headers.get('x-request-id')).toMatch(/^req_/);
    const page = body as WirePage;
    expect(page).toMatchObject({ object: 'list', has_more: false });
    expect(page.data.map((p) => ({ ...p, id: 'x' }))).toEqual([
      { id: 'x', created_at: CREATED_AT, object: 'checkpoint.permission', project_id: 'proj_a' },
      { id: 'x', created_at: CREATED_AT, object: 'checkpoint.permission', project_id: 'proj_b' },
    ]);
    expect(page.first_id).toBe(page.data[0]?.id);
    expect(page.last_id).toBe(page.data[1]?.id);
  });

  it.each([
    { reason: 'a body that is not JSON', body: 'project_ids=proj_a' },
    { reason: 'a JSON array', body: '["proj_a"]' },
    { reason: 'no project_ids', body: '{}' },
    { reason: 'an extra field', body: '{"project_ids":["proj_a"],"role":"reader"}' },
    { reason: 'an empty list', body: '{"project_ids":[]}' },
    { reason: 'a list with a number', body: '{"project_ids":["proj_a",7]}' },
    { reason: 'project_ids as a string', body: '{"project_ids":"proj_a"}' },
    { reason: 'a malformed project id', body: '{"project_ids":["proj_a","not a project"]}' },
    { reason: 'the owning project among others', body: `{"project_ids":["proj_a","${OWNER}"]}` },
  ])('refuses $reason with a 400 and creates nothing', async ({ body }) => {
    const answer = await call('POST', permissionsUrl(), body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.any(String) },
    });
    expect(standIn.store.permissions(CHECKPOINT)).toEqual([]);
  });

  it('names the owning project in OpenAI words', async () => {
    const answer = await call('POST', permissionsUrl(), JSON.stringify({ project_ids: [OWNER] }));
    expect(answer.body).toMatchObject({
      error: { message: `Cannot modify checkpoint permissions for the owning project: ${OWNER}` },
    });
  });

  it('accepts the checkpoint with raw colons in the path too', async () => {
    const url = `${standIn.baseURL}/fine_tuning/checkpoints/${CHECKPOINT}/permissions`;
    expect((await call('POST', url, '{"project_ids":["proj_raw"]}')).status).toBe(200);
  });
});

describe('delete', () => {
  it('answers {id, deleted, object}; then 404', async () => {
    const permission = standIn.store.addPermission(CHECKPOINT, 'proj_a');
    const first = await call('DELETE', permissionsUrl(CHECKPOINT, `/${permission.id}`));
    expect(first).toMatchObject({
      status: 200,
      body: { id: permission.id, deleted: true, object: 'checkpoint.permission' },
    });
    expect((await call('DELETE', permissionsUrl(CHECKPOINT, `/${permission.id}`))).status).toBe(404);
  });

  it('does not delete a permission through another checkpoint', async () => {
    standIn.store.addCheckpoint('ft-other1', OWNER);
    const permission = standIn.store.addPermission(CHECKPOINT, 'proj_a');
    expect((await call('DELETE', permissionsUrl('ft-other1', `/${permission.id}`))).status).toBe(404);
    expect(standIn.store.permissions(CHECKPOINT)).toHaveLength(1);
  });
});

describe('routes and auth', () => {
  it.each([
    { reason: 'an unknown checkpoint', method: 'GET', url: () => permissionsUrl('ft-nope'), status: 404 },
    { reason: 'an unknown path', method: 'GET', url: () => `${standIn.baseURL}/models`, status: 404 },
    { reason: 'a method the route lacks', method: 'PUT', url: () => permissionsUrl(), status: 404 },
    { reason: 'DELETE without a permission id', method: 'DELETE', url: () => permissionsUrl(), status: 404 },
  ])('answers $reason with an OpenAI-shaped $status', async ({ method, url, status }) => {
    const answer = await call(method, url());
    expect(answer.status).toBe(status);
    const error = (answer.body as { error: Record<string, unknown> }).error;
    expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(error).toMatchObject({ message: expect.any(String), type: 'invalid_request_error' });
  });

  it('checks the key before anything else, even for an unknown checkpoint', async () => {
    expect(
      (await call('GET', permissionsUrl('ft-nope'), undefined, 'sk-admin-wrong-key-123456')).status,
    ).toBe(401);
    expect((await call('POST', permissionsUrl(), '{"project_ids":["proj_a"]}', null)).status).toBe(401);
    expect(standIn.store.permissions(CHECKPOINT)).toEqual([]);
  });

  it('logs every admin request with its operation and status', async () => {
    await call('GET', `${permissionsUrl()}?limit=5`);
    await call('POST', permissionsUrl(), '{"project_ids":["proj_a"]}', 'sk-admin-nope-nope-nope');
    await call('GET', `${standIn.baseURL}/models`);
    expect(standIn.requests()).toEqual([
      expect.objectContaining({
        method: 'GET',
        operation: 'list',
        checkpoint: CHECKPOINT,
        status: 200,
        query: { limit: '5' },
      }),
      expect.objectContaining({
        method: 'POST',
        operation: 'grant',
        status: 401,
        time: CREATED_AT * 1000 + 123,
      }),
      expect.objectContaining({ method: 'GET', path: '/v1/models', status: 404 }),
    ]);
    expect(standIn.requests()[2]?.operation).toBeUndefined();
    expect(standIn.counts()).toEqual({ list: 1, grant: 1, revoke: 0, audit_log: 0 });
  });
});

describe('faults', () => {
  it('serves a 429 with retry-after, only to the operation named, only count times', async () => {
    standIn.faults.inject({
      kind: 'rate-limit',
      operation: 'grant',
      count: 2,
      retryAfterSeconds: 42,
      retryAfterMs: 42_000,
    });
    expect((await call('GET', permissionsUrl())).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const answer = await call('POST', permissionsUrl(), '{"project_ids":["proj_a"]}');
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('42');
      expect(answer.headers.get('retry-after-ms')).toBe('42000');
      expect(answer.body).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    }
    expect((await call('POST', permissionsUrl(), '{"project_ids":["proj_a"]}')).status).toBe(200);
    expect(standIn.store.permissions(CHECKPOINT)).toHaveLength(1);
    expect(standIn.requests().map((r) => r.fault)).toEqual([
      undefined,
      'rate-limit',
      'rate-limit',
      undefined,
    ]);
  });

  it('serves a 502 as an HTML page', async () => {
    standIn.faults.inject({ kind: 'bad-gateway' });
    const answer = await call('GET', permissionsUrl());
    expect(answer.status).toBe(502);
    expect(answer.headers.get('content-type')).toBe('text/html');
    expect(String(answer.body)).toContain('<h1>502 Bad Gateway</h1>');
  });

  it('resets the connection, recording no status', async () => {
    standIn.faults.inject({ kind: 'reset' });
    await expect(fetch(permissionsUrl())).rejects.toThrow();
    expect(standIn.requests()[0]).toMatchObject({ status: null, fault: 'reset' });
  });

  it('carries out an afterCommit request, then fails its answer', async () => {
    standIn.faults.inject({ kind: 'reset', operation: 'grant', afterCommit: true });
    await expect(
      fetch(permissionsUrl(), {
        method: 'POST',
        headers: { authorization: `Bearer ${standIn.adminKey}` },
        body: '{"project_ids":["proj_a"]}',
      }),
    ).rejects.toThrow();
    expect(standIn.store.permissions(CHECKPOINT).map((p) => p.projectId)).toEqual(['proj_a']);
  });

  it('trickles a carried-out answer: status and headers at once, the body byte by byte after', async () => {
    standIn.faults.inject({ kind: 'trickle', operation: 'grant', byteIntervalMs: 600_000 });
    const client = new AbortController();
    const response = await fetch(permissionsUrl(), {
      method: 'POST',
      headers: { authorization: `Bearer ${standIn.adminKey}` },
      body: '{"project_ids":["proj_a"]}',
      signal: client.signal,
    });
    // Headers are here while the first byte of the body is still ten minutes away.
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(50);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(standIn.store.permissions(CHECKPOINT).map((p) => p.projectId)).toEqual(['proj_a']);
    client.abort();
    // A client that goes away ends the trickle: nothing is left in flight.
    await standIn.idle();
    expect(standIn.requests()).toMatchObject([{ operation: 'grant', status: 200, fault: 'trickle' }]);
  });

  it('trickles the whole answer, as it would have been sent at once', async () => {
    standIn.store.addPermission(CHECKPOINT, 'proj_a');
    const whole = await call('GET', permissionsUrl());
    standIn.faults.inject({ kind: 'trickle', operation: 'list', byteIntervalMs: 1 });
    const trickled = await call('GET', permissionsUrl());
    expect(trickled.status).toBe(200);
    expect(trickled.body).toEqual(whole.body);
    expect(standIn.requests().map((r) => r.fault)).toEqual([undefined, 'trickle']);
  });

  it('abandons a trickling answer when closed, without waiting for it', async () => {
    const slow = await startOpenAIStandIn({
      checkpoints: [{ id: CHECKPOINT, owner: OWNER }],
      faults: [{ kind: 'trickle', byteIntervalMs: 600_000 }],
    });
    const response = await fetch(`${slow.baseURL}/fine_tuning/checkpoints/${CHECKPOINT}/permissions`, {
      headers: { authorization: `Bearer ${slow.adminKey}` },
    });
    expect(response.status).toBe(200);
    await slow.close();
    await expect(response.text()).rejects.toThrow();
    await slow.idle();
  });

  it('abandons a held request when closed, without waiting for it', async () => {
    const held = await startOpenAIStandIn({
      checkpoints: [{ id: CHECKPOINT, owner: OWNER }],
      faults: [{ kind: 'latency', latencyMs: 600_000 }],
    });
    const pending = fetch(`${held.baseURL}/fine_tuning/checkpoints/${CHECKPOINT}/permissions`, {
      headers: { authorization: `Bearer ${held.adminKey}` },
    });
    await expect.poll(() => held.counts().list).toBe(1);
    await held.close();
    await expect(pending).rejects.toThrow();
    await held.idle();
  });
});

describe('control endpoint', () => {
  it('queues faults, one or many, and lists and clears them', async () => {
    expect((await control('POST', '/faults', { kind: 'server-error', operation: 'list' })).status).toBe(201);
    const many = await control('POST', '/faults', [
      { kind: 'latency', latencyMs: 1 },
      { kind: 'malformed', count: 2 },
    ]);
    expect(many.body).toEqual({
      faults: [
        { kind: 'server-error', operation: 'list', remaining: 1 },
        { kind: 'latency', latencyMs: 1, remaining: 1 },
        { kind: 'malformed', count: 2, remaining: 2 },
      ],
    });
    expect((await call('GET', permissionsUrl())).status).toBe(500);
    expect((await control('GET', '/faults')).body).toMatchObject({
      faults: [{ kind: 'latency' }, { kind: 'malformed' }],
    });
    expect((await control('DELETE', '/faults')).status).toBe(200);
    expect(standIn.faults.pending()).toEqual([]);
  });

  it.each([
    { reason: 'an unknown kind', body: { kind: 'meteor' } },
    { reason: 'an unknown operation', body: { kind: 'reset', operation: 'update' } },
    { reason: 'an unknown field', body: { kind: 'reset', when: 'now' } },
    { reason: 'a zero count', body: { kind: 'reset', count: 0 } },
    { reason: 'a negative latency', body: { kind: 'latency', latencyMs: -5 } },
    { reason: 'a byte interval that is not a number', body: { kind: 'trickle', byteIntervalMs: '5' } },
  ])('refuses a fault with $reason', async ({ body }) => {
    expect((await control('POST', '/faults', body)).status).toBe(400);
    expect(standIn.faults.pending()).toEqual([]);
  });

  it('reports and clears the request log', async () => {
    await call('GET', permissionsUrl());
    const log = await control('GET', '/requests');
    expect(log.body).toMatchObject({
      requests: [{ operation: 'list', status: 200 }],
      counts: { list: 1, grant: 0, revoke: 0, audit_log: 0 },
    });
    await control('DELETE', '/requests');
    expect(standIn.requests()).toEqual([]);
    expect(standIn.counts()).toEqual({ list: 0, grant: 0, revoke: 0, audit_log: 0 });
  });

  it('registers checkpoints and edits permissions by hand, as drift', async () => {
    expect((await control('POST', '/checkpoints', { id: 'ft-handmade1', owner: 'proj_maker' })).status).toBe(
      201,
    );
    expect((await control('POST', '/checkpoints', { id: 'ft-handmade1', owner: 'proj_thief' })).status).toBe(
      409,
    );
    const added = await control('POST', `/checkpoints/${encodeURIComponent('ft-handmade1')}/permissions`, {
      project_id: 'proj_drift',
    });
    expect(added.body).toMatchObject({ object: 'checkpoint.permission', project_id: 'proj_drift' });
    const view = (await control('GET', '/checkpoints')).body as {
      checkpoints: Array<{ id: string; permissions: unknown[] }>;
    };
    expect(view.checkpoints.find((c) => c.id === 'ft-handmade1')?.permissions).toHaveLength(1);
    const id = (added.body as { id: string }).id;
    expect((await control('DELETE', `/checkpoints/ft-handmade1/permissions/${id}`)).status).toBe(200);
    expect(standIn.store.permissions('ft-handmade1')).toEqual([]);
    expect(standIn.counts()).toEqual({ list: 0, grant: 0, revoke: 0, audit_log: 0 });
  });

  it('registers known projects, after which others are refused', async () => {
    const strict = await startOpenAIStandIn({ checkpoints: [{ id: 'ft-strict2', owner: OWNER }] });
    try {
      const post = (ids: string[]) =>
        fetch(`${strict.baseURL}/fine_tuning/checkpoints/ft-strict2/permissions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${strict.adminKey}` },
          body: JSON.stringify({ project_ids: ids }),
        });
      expect((await post(['proj_anything'])).status).toBe(200);
      await fetch(`${strict.origin}/_sandbox/projects`, {
        method: 'POST',
        body: '{"project_ids":["proj_known"]}',
      });
      expect((await post(['proj_known'])).status).toBe(200);
      const refused = await post(['proj_known', 'proj_stranger']);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        error: { message: expect.stringContaining('proj_stranger') },
      });
    } finally {
      await strict.close();
    }
  });
});

describe('startOpenAIStandIn', () => {
  it('generates an admin key and a random port on 127.0.0.1', () => {
    expect(standIn.adminKey).toMatch(/^sk-admin-sandbox-[A-Za-z0-9_-]{20,}$/);
    expect(standIn.baseURL).toBe(`http://127.0.0.1:${standIn.port}/v1`);
    expect(standIn.port).toBeGreaterThan(0);
  });

  it('refuses to listen beyond loopback, and a key that is not an admin key', async () => {
    await expect(startOpenAIStandIn({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/loopback/);
    await expect(startOpenAIStandIn({ adminKey: 'sk-proj-123' })).rejects.toThrow(/sk-admin-/);
  });
});
