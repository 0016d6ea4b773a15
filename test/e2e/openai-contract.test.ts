import { type OpenAIStandIn, startOpenAIStandIn, type WirePage } from '@checkpoint-share/sandbox/openai-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import type { PermissionEvent } from '../../src/openai/audit-log.js';
import {
  type OpenAIPermissionError,
  type Operation,
  TerminalError,
  TransientError,
} from '../../src/openai/errors.js';
import type { Permission } from '../../src/openai/permissions.js';
import { SdkPermissionsApi, type SdkPermissionsApiOptions } from '../../src/openai/sdk-permissions.js';

/**
 * The SDK-backed client against the OpenAI stand-in over real HTTP: the contract both sides are
 * held to. Every log line and error message produced here is kept and scanned for keys at the end.
 */

const OWNER = 'proj_owner';
const WRONG_ADMIN_KEY = 'sk-admin-wrongWRONGwrong0123456789';
const NON_ADMIN_KEY = 'sk-proj-notAnAdminKey0123456789abcdef';

const logLines: string[] = [];
const errorTexts: string[] = [];
const logger = createLogger(
  { level: 'debug', name: 'openai-contract' },
  { write: (line: string) => logLines.push(line) },
);

let standIn: OpenAIStandIn;
let sequence = 0;
let checkpoint: string;
/** Delays the client asked the injected sleep for, instead of waiting. */
let waits: number[];
/** Pauses the client asked the shared limiter for. */
let pauses: number[];
let observed: Array<[Operation, string]>;

function newCheckpoint(): string {
  sequence += 1;
  const id = `ft:gpt-4o-mini-2024-07-18:acme:contract${sequence}:B7R9VjQd`;
  standIn.store.addCheckpoint(id, OWNER);
  return id;
}

function client(
  overrides: Partial<SdkPermissionsApiOptions> = {},
  target: OpenAIStandIn = standIn,
): SdkPermissionsApi {
  return new SdkPermissionsApi({
    baseURL: target.baseURL,
    adminKey: target.adminKey,
    rateLimiter: {
      acquire: async () => undefined,
      pauseFor: (ms) => void pauses.push(ms),
      pauseLeft: () => 0,
    },
    timeoutMs: 5000,
    logger,
    retry: { attempts: 3, baseDelayMs: 1, sleep: async (ms) => void waits.push(ms) },
    onRequest: (operation, code) => observed.push([operation, code]),
    ...overrides,
  });
}

/** The error a call failed with; fails the test if it succeeded. */
async function failure(call: Promise<unknown>): Promise<OpenAIPermissionError> {
  try {
    await call;
  } catch (error: unknown) {
    errorTexts.push(String(error), JSON.stringify(error), (error as Error).stack ?? '');
    return error as OpenAIPermissionError;
  }
  throw new Error('expected the call to fail');
}

function projects(count: number, prefix = 'p'): string[] {
  return Array.from({ length: count }, (_, i) => `proj_${prefix}${i}`);
}

async function rawList(ckpt: string, query: string, key = standIn.adminKey): Promise<Response> {
  return fetch(`${standIn.baseURL}/fine_tuning/checkpoints/${encodeURIComponent(ckpt)}/permissions${query}`, {
    headers: { authorization: `Bearer ${key}` },
  });
}

beforeAll(async () => {
  standIn = await startOpenAIStandIn();
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  standIn.faults.clear();
  standIn.clearRequests();
  checkpoint = newCheckpoint();
  waits = [];
  pauses = [];
  observed = [];
});

/** The permissions a list found on a checkpoint that must exist. */
async function permissionsOn(api: SdkPermissionsApi, on: string): Promise<Permission[]> {
  const observed = await api.list(on);
  if (!observed.exists) throw new Error(`expected ${on} to exist`);
  return observed.permissions;
}

describe('list', () => {
  it('follows every page of 100 with the after cursor', async () => {
    const added = projects(250).map((p) => standIn.store.addPermission(checkpoint, p).id);
    const listed = await permissionsOn(client(), checkpoint);

    expect(listed.map((p) => p.id).sort()).toEqual([...added].sort());
    expect(new Set(listed.map((p) => p.projectId)).size).toBe(250);
    const pages = standIn.requests();
    expect(standIn.counts().list).toBe(3);
    expect(pages.map((r) => r.query.limit)).toEqual(['100', '100', '100']);
    expect(pages[0]?.query.after).toBeUndefined();
    expect(pages[1]?.query.after).toBeDefined();
    expect(pages[2]?.query.after).not.toBe(pages[1]?.query.after);
    expect(observed).toEqual([
      ['list', '200'],
      ['list', '200'],
      ['list', '200'],
    ]);
  });

  it('reads an empty checkpoint in one request', async () => {
    await expect(client().list(checkpoint)).resolves.toEqual({ exists: true, permissions: [] });
    expect(standIn.counts().list).toBe(1);
  });

  it('retries a failed page on its own and still lists everything', async () => {
    for (const p of projects(150)) standIn.store.addPermission(checkpoint, p);
    standIn.faults.inject({ kind: 'server-error', operation: 'list' });
    expect(await permissionsOn(client(), checkpoint)).toHaveLength(150);
    expect(standIn.counts().list).toBe(3);
    expect(observed.map(([, code]) => code)).toEqual(['500', '200', '200']);
    expect(waits).toHaveLength(1);
  });
});

describe('the stand-in list contract, over plain fetch', () => {
  beforeEach(() => {
    // created_at 1000..1011 and one tie at 1011, so order falls back to the id.
    for (let i = 0; i < 12; i++) standIn.store.addPermission(checkpoint, `proj_q${i}`, 1000 + i);
    standIn.store.addPermission(checkpoint, 'proj_tie', 1011);
  });

  it('defaults to 10 per page, newest first, with cursors and has_more', async () => {
    const response = await rawList(checkpoint, '');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    const page = (await response.json()) as WirePage;
    expect(page.object).toBe('list');
    expect(page.data).toHaveLength(10);
    expect(page.has_more).toBe(true);
    expect(page.first_id).toBe(page.data[0]?.id);
    expect(page.last_id).toBe(page.data[9]?.id);
    const keys = page.data.map((p) => [p.created_at, p.id] as const);
    const sorted = [...keys].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1));
    expect(keys).toEqual(sorted);
    for (const p of page.data) {
      expect(p.id).toMatch(/^cp_[A-Za-z0-9]{24}$/);
      expect(p.object).toBe('checkpoint.permission');
    }
  });

  it('walks ascending pages with after, each item once, the last page without has_more', async () => {
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const page = (await (await rawList(checkpoint, `?order=ascending&limit=5${after}`)).json()) as WirePage;
      seen.push(...page.data.map((p) => p.project_id));
      if (!page.has_more) break;
      after = `&after=${page.last_id}`;
    }
    expect(seen.slice(0, 11)).toEqual(Array.from({ length: 11 }, (_, i) => `proj_q${i}`));
    expect(seen.sort()).toEqual([...Array.from({ length: 12 }, (_, i) => `proj_q${i}`), 'proj_tie'].sort());
  });

  it('places an after cursor whose permission was deleted meanwhile', async () => {
    const first = (await (await rawList(checkpoint, '?limit=4')).json()) as WirePage;
    standIn.store.removePermission(checkpoint, first.last_id ?? '');
    const second = (await (await rawList(checkpoint, `?limit=4&after=${first.last_id}`)).json()) as WirePage;
    const firstIds = new Set(first.data.map((p) => p.id));
    expect(second.data).toHaveLength(4);
    expect(second.data.some((p) => firstIds.has(p.id))).toBe(false);
  });

  it('filters by project_id', async () => {
    standIn.store.addPermission(checkpoint, 'proj_q3');
    const page = (await (await rawList(checkpoint, '?project_id=proj_q3')).json()) as WirePage;
    expect(page.data.map((p) => p.project_id)).toEqual(['proj_q3', 'proj_q3']);
    expect(page.has_more).toBe(false);
  });

  it.each([
    { reason: 'limit 0', query: '?limit=0', param: 'limit' },
    { reason: 'limit above 100', query: '?limit=101', param: 'limit' },
    { reason: 'limit not a number', query: '?limit=ten', param: 'limit' },
    { reason: 'unknown order', query: '?order=sideways', param: 'order' },
    { reason: 'a cursor that was never issued', query: '?after=cp_nope', param: 'after' },
  ])('refuses $reason with an OpenAI-shaped 400', async ({ query, param }) => {
    const response = await rawList(checkpoint, query);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param, code: null },
    });
  });

  it('accepts limit 100 and limit 1', async () => {
    expect((await rawList(checkpoint, '?limit=100')).status).toBe(200);
    const one = (await (await rawList(checkpoint, '?limit=1')).json()) as WirePage;
    expect(one.data).toHaveLength(1);
  });

  it.each([
    { reason: 'no key', key: '' },
    { reason: 'a wrong admin key', key: WRONG_ADMIN_KEY },
    { reason: 'a project key', key: NON_ADMIN_KEY },
  ])('answers 401 to $reason', async ({ key }) => {
    const response = await rawList(checkpoint, '', key);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { message: string } };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    if (key !== '') expect(body.error.message).not.toContain(key);
  });
});

describe('grant', () => {
  it('grants a batch in one create call', async () => {
    const batch = projects(10);
    const result = await client().grant(checkpoint, [...batch, batch[0] ?? '']);
    expect(result.failed).toEqual([]);
    expect(result.granted.map((p) => p.projectId).sort()).toEqual([...batch].sort());
    expect(standIn.counts()).toEqual({ list: 0, grant: 1, revoke: 0, audit_log: 0 });
    expect(
      standIn.store
        .permissions(checkpoint)
        .map((p) => p.projectId)
        .sort(),
    ).toEqual([...batch].sort());
  });

  it('makes no call for an empty batch', async () => {
    await expect(client().grant(checkpoint, [])).resolves.toEqual({ granted: [], failed: [] });
    expect(standIn.counts().grant).toBe(0);
  });

  it('gets a second permission when granting a project twice (so duplicates are visible)', async () => {
    await client().grant(checkpoint, ['proj_twice']);
    await client().grant(checkpoint, ['proj_twice']);
    const listed = await permissionsOn(client(), checkpoint);
    expect(listed.filter((p) => p.projectId === 'proj_twice')).toHaveLength(2);
  });

  it('reports the owning project as a failure and grants the rest', async () => {
    const result = await client().grant(checkpoint, ['proj_a', OWNER, 'proj_b']);
    expect(result.granted.map((p) => p.projectId).sort()).toEqual(['proj_a', 'proj_b']);
    expect(result.failed).toEqual([
      {
        projectId: OWNER,
        reason: 'OwningProject',
        message:
          'it owns the checkpoint, and OpenAI does not let the owning project be modified; remove it from spec.projectIds',
      },
    ]);
  });

  describe('with a registry of known projects', () => {
    let strict: OpenAIStandIn;
    const known = projects(9, 'known');

    beforeAll(async () => {
      strict = await startOpenAIStandIn({
        projects: known,
        checkpoints: [{ id: 'ft-strict1', owner: OWNER }],
      });
    });

    afterAll(async () => {
      await strict.close();
    });

    beforeEach(() => {
      for (const p of strict.store.permissions('ft-strict1'))
        strict.store.removePermission('ft-strict1', p.id);
      strict.clearRequests();
    });

    it('isolates one unknown project among ten; the nine are granted once each', async () => {
      const result = await client({}, strict).grant('ft-strict1', [
        ...known.slice(0, 4),
        'proj_unknown',
        ...known.slice(4),
      ]);
      expect(result.granted.map((p) => p.projectId).sort()).toEqual([...known].sort());
      expect(result.failed).toEqual([
        {
          projectId: 'proj_unknown',
          reason: 'InvalidProject',
          message:
            'OpenAI does not accept it as a project of this organization (Project not found in organization: proj_unknown); check the id in spec.projectIds',
        },
      ]);
      // The message named the project, so the rest went out again as one batch.
      expect(strict.counts().grant).toBe(2);
      const stored = strict.store.permissions('ft-strict1').map((p) => p.projectId);
      expect(stored.sort()).toEqual([...known].sort());
    });

    it('isolates a project the 400 does not name by splitting the batch', async () => {
      const result = await client({}, strict).grant('ft-strict1', [
        ...known.slice(0, 6),
        'not-a-project',
        ...known.slice(6),
      ]);
      expect(result.granted.map((p) => p.projectId).sort()).toEqual([...known].sort());
      expect(result.failed).toEqual([
        {
          projectId: 'not-a-project',
          reason: 'InvalidProject',
          message:
            'OpenAI does not accept it as a project of this organization (Invalid project id format in project_ids.); check the id in spec.projectIds',
        },
      ]);
      const calls = strict.counts().grant;
      expect(calls).toBeGreaterThan(2);
      expect(calls).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(10)));
      const stored = strict.store.permissions('ft-strict1').map((p) => p.projectId);
      expect(stored.sort()).toEqual([...known].sort());
    });
  });
});

describe('revoke', () => {
  it('deletes one permission; a missing one counts as revoked', async () => {
    const kept = standIn.store.addPermission(checkpoint, 'proj_keep');
    const gone = standIn.store.addPermission(checkpoint, 'proj_gone');
    await client().revoke(checkpoint, gone.id);
    expect(standIn.store.permissions(checkpoint).map((p) => p.id)).toEqual([kept.id]);
    await expect(client().revoke(checkpoint, gone.id)).resolves.toBeUndefined();
    await expect(client().revoke(checkpoint, 'cp_neverExisted000000000000')).resolves.toBeUndefined();
    expect(standIn.counts().revoke).toBe(3);
    expect(observed).toEqual([
      ['revoke', '200'],
      ['revoke', '404'],
      ['revoke', '404'],
    ]);
  });

  it('retries a rate-limited delete after the server-named delay', async () => {
    const permission = standIn.store.addPermission(checkpoint, 'proj_x');
    standIn.faults.inject({ kind: 'rate-limit', operation: 'revoke', retryAfterSeconds: 2 });
    await client().revoke(checkpoint, permission.id);
    expect(waits).toEqual([2000]);
    expect(pauses).toEqual([2000]);
    expect(standIn.store.permissions(checkpoint)).toEqual([]);
  });
});

describe('errors, end to end', () => {
  it.each([
    { reason: 'wrong admin key', key: WRONG_ADMIN_KEY },
    { reason: 'non-admin key', key: NON_ADMIN_KEY },
  ])('$reason is Unauthorized, with the request id', async ({ key }) => {
    const error = await failure(client({ adminKey: key }).list(checkpoint));
    expect(error).toBeInstanceOf(TerminalError);
    expect(error).toMatchObject({ reason: 'Unauthorized', status: 401, operation: 'list', checkpoint });
    expect(error.requestId).toBe(standIn.requests().at(-1)?.requestId);
    expect(error.message).not.toContain(key);
  });

  it('a list of an unknown checkpoint answers that it does not exist', async () => {
    await expect(client().list('ft-doesNotExist')).resolves.toEqual({ exists: false });
    expect(observed).toEqual([['list', '404']]);
  });

  it('a grant on an unknown checkpoint is CheckpointNotFound', async () => {
    const error = await failure(client().grant('ft-doesNotExist', ['proj_a']));
    expect(error).toMatchObject({ reason: 'CheckpointNotFound', status: 404, checkpoint: 'ft-doesNotExist' });
  });

  it('a 429 on create is thrown with its retry-after and never resent', async () => {
    standIn.faults.inject({ kind: 'rate-limit', operation: 'grant', retryAfterSeconds: 30 });
    const error = await failure(client().grant(checkpoint, ['proj_a', 'proj_b']));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 30_000, operation: 'grant' });
    expect(standIn.counts().grant).toBe(1);
    expect(waits).toEqual([]);
    expect(pauses).toEqual([30_000]);
  });

  it.each([
    { reason: '500', fault: 'server-error' as const, status: 500 },
    { reason: '502 HTML page', fault: 'bad-gateway' as const, status: 502 },
    { reason: 'connection reset', fault: 'reset' as const, status: undefined },
  ])('$reason on create is transient and not resent', async ({ fault, status }) => {
    standIn.faults.inject({ kind: fault, operation: 'grant' });
    const error = await failure(client().grant(checkpoint, ['proj_a']));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.status).toBe(status);
    expect(error.message).not.toMatch(/[<>]/);
    expect(standIn.counts().grant).toBe(1);
    expect(observed).toEqual([['grant', status === undefined ? 'error' : String(status)]]);
    expect(standIn.store.permissions(checkpoint)).toEqual([]);
  });

  it.each([
    { reason: '500', fault: 'server-error' as const },
    { reason: '502 HTML page', fault: 'bad-gateway' as const },
    { reason: 'connection reset', fault: 'reset' as const },
  ])('$reason on list is retried in place, then given up after the attempts', async ({ fault }) => {
    standIn.faults.inject({ kind: fault, operation: 'list', count: 3 });
    const error = await failure(client().list(checkpoint));
    expect(error).toBeInstanceOf(TransientError);
    expect(standIn.counts().list).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it('a create whose answer never came is not resent, and the next list shows it took effect', async () => {
    standIn.faults.inject({ kind: 'latency', operation: 'grant', latencyMs: 400 });
    const error = await failure(client({ timeoutMs: 100 }).grant(checkpoint, ['proj_slow']));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/timed out/);
    expect(standIn.counts().grant).toBe(1);
    await standIn.idle();
    const listed = await permissionsOn(client(), checkpoint);
    expect(listed.map((p) => p.projectId)).toEqual(['proj_slow']);
  });

  it('a timed-out list is transient', async () => {
    standIn.faults.inject({ kind: 'latency', operation: 'list', latencyMs: 400 });
    const error = await failure(client({ timeoutMs: 100, retry: { attempts: 1 } }).list(checkpoint));
    expect(error).toBeInstanceOf(TransientError);
    expect(observed).toEqual([['list', 'timeout']]);
  });

  it.each([
    { reason: 'list', operation: 'list' as const },
    { reason: 'create, which is not resent', operation: 'grant' as const },
  ])('a body that trickles past the deadline times out, body included: $reason', async ({ operation }) => {
    standIn.faults.inject({ kind: 'trickle', operation, byteIntervalMs: 60_000 });
    const api = client({ timeoutMs: 300, retry: { attempts: 1 } });
    const error = await failure(
      operation === 'list' ? api.list(checkpoint) : api.grant(checkpoint, ['proj_a']),
    );
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/timed out after 0\.3s/);
    // The headers said 200, but the answer is the timeout: no status is claimed for it.
    expect(error).toMatchObject({ status: undefined, operation });
    expect(error.requestId).toMatch(/^req_/);
    expect(observed).toEqual([[operation, 'timeout']]);
    expect(standIn.counts()[operation]).toBe(1);
    // The client's going away ends the trickle on the stand-in too.
    await standIn.idle();
    expect(standIn.requests().filter((r) => r.fault === 'trickle')).toMatchObject([
      { operation, status: 200 },
    ]);
  });

  it('a caller that gives up ends the call at once, sends nothing more, and says why', async () => {
    standIn.faults.inject({ kind: 'latency', operation: 'list', latencyMs: 60_000 });
    const pass = new AbortController();
    const call = failure(client().list(checkpoint, pass.signal));
    await expect.poll(() => standIn.counts().list).toBe(1);
    pass.abort(new Error('the pass ran past its deadline'));
    const error = await call;
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('request abandoned: the pass ran past its deadline');
    expect(observed).toEqual([['list', 'aborted']]);
    expect(waits).toEqual([]);
    await expect(failure(client().grant(checkpoint, ['proj_a'], pass.signal))).resolves.toBeInstanceOf(
      TransientError,
    );
    expect(standIn.counts().grant).toBe(0);
  });

  it('a 200 with a malformed body is BadResponse, not an empty list', async () => {
    standIn.store.addPermission(checkpoint, 'proj_a');
    standIn.faults.inject({ kind: 'malformed', operation: 'list' });
    const error = await failure(client().list(checkpoint));
    expect(error).toMatchObject({ reason: 'BadResponse', status: 200 });
    expect(error.requestId).toMatch(/^req_/);
    expect(standIn.counts().list).toBe(1);
  });

  it('a create that succeeded upstream but answered 500 is thrown, and the list shows it', async () => {
    standIn.faults.inject({ kind: 'server-error', operation: 'grant', afterCommit: true });
    await failure(client().grant(checkpoint, ['proj_a']));
    expect((await permissionsOn(client(), checkpoint)).map((p) => p.projectId)).toEqual(['proj_a']);
  });
});

describe('retry-after', () => {
  it('a long retry-after is handed to the caller whole, without waiting in the client', async () => {
    standIn.faults.inject({ kind: 'rate-limit', operation: 'list', retryAfterSeconds: 3600 });
    const error = await failure(client().list(checkpoint));
    expect(error).toMatchObject({ status: 429, retryAfterMs: 3_600_000 });
    expect(waits).toEqual([]);
    expect(pauses).toEqual([3_600_000]);
    expect(standIn.counts().list).toBe(1);
  });

  it('a retry-after within the cap is waited out exactly, then the call succeeds', async () => {
    standIn.faults.inject({ kind: 'rate-limit', operation: 'list', retryAfterSeconds: 5 });
    await expect(client().list(checkpoint)).resolves.toEqual({ exists: true, permissions: [] });
    expect(waits).toEqual([5000]);
    expect(pauses).toEqual([5000]);
    expect(observed).toEqual([
      ['list', '429'],
      ['list', '200'],
    ]);
  });

  it('retry-after-ms wins over retry-after', async () => {
    standIn.faults.inject({
      kind: 'rate-limit',
      operation: 'list',
      retryAfterSeconds: 9,
      retryAfterMs: 1250,
    });
    await client().list(checkpoint);
    expect(waits).toEqual([1250]);
  });
});

describe('the shared rate limiter', () => {
  it('is passed once by every HTTP attempt, retries included', async () => {
    let acquired = 0;
    const api = client({
      rateLimiter: {
        acquire: async () => {
          acquired += 1;
        },
        pauseFor: () => undefined,
        pauseLeft: () => 0,
      },
    });
    for (const p of projects(120)) standIn.store.addPermission(checkpoint, p);
    standIn.faults.inject({ kind: 'server-error', operation: 'list' });
    await api.list(checkpoint);
    await api.grant(checkpoint, ['proj_new', OWNER]);
    const sent = standIn.counts();
    expect(acquired).toBe(sent.list + sent.grant + sent.revoke);
    expect(acquired).toBe(3 + 2);
  });
});

describe('the audit log', () => {
  const since = () => Math.floor(Date.now() / 1000) - 60;
  const read = async (api: SdkPermissionsApi, from: number): Promise<PermissionEvent[]> => {
    const events: PermissionEvent[] = [];
    for await (const page of api.permissionEvents(from)) events.push(...page);
    return events;
  };

  it("reads every page of the organisation's permission events, a person's and the operator's", async () => {
    const api = client();
    const start = since();
    await api.grant(checkpoint, projects(150, 'audit'));
    const byHand = standIn.store.addPermission(checkpoint, 'proj_byhand');
    standIn.store.removePermission(checkpoint, byHand.id);
    standIn.clearRequests();
    observed = [];
    const events = (await read(api, start)).filter(
      (e) => e.type === 'checkpoint.permission.deleted' || e.checkpoint === checkpoint,
    );
    const created = events.filter((e) => e.type === 'checkpoint.permission.created');
    expect(created).toHaveLength(151);
    expect(
      created.find((e) => e.type === 'checkpoint.permission.created' && e.projectId === 'proj_byhand'),
    ).toMatchObject({
      permissionId: byHand.id,
      checkpoint,
    });
    expect(
      events.filter((e) => e.type === 'checkpoint.permission.deleted').map((e) => e.permissionId),
    ).toContain(byHand.id);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // Pages of 100, each through the limiter and counted under its own operation.
    const pages = standIn.requests().filter((r) => r.operation === 'audit_log');
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(observed.every(([operation, code]) => operation === 'audit_log' && code === '200')).toBe(true);
  });

  it('asks only for events since the given time', async () => {
    const api = client();
    await api.grant(checkpoint, ['proj_before']);
    const later = Math.floor(Date.now() / 1000) + 3600;
    expect(await read(api, later)).toEqual([]);
  });

  it('an organisation without audit logging refuses with a terminal 403 that names the log, not a checkpoint', async () => {
    standIn.auditLog.configure({ enabled: false });
    try {
      const error = await failure(read(client(), since()));
      expect(error).toBeInstanceOf(TerminalError);
      expect(error).toMatchObject({ status: 403, reason: 'Forbidden', operation: 'audit_log' });
      expect(error.message).toMatch(/^OpenAI audit log read: 403 /);
      expect(error.message).not.toContain(standIn.adminKey);
    } finally {
      standIn.auditLog.configure({ enabled: true });
    }
  });

  it('a failed page is retried on its own', async () => {
    standIn.faults.inject({ kind: 'server-error', operation: 'audit_log' });
    await client().grant(checkpoint, ['proj_retried']);
    const events = await read(client(), since());
    expect(
      events.some((e) => e.type === 'checkpoint.permission.created' && e.projectId === 'proj_retried'),
    ).toBe(true);
    expect(waits).toHaveLength(1);
  });
});

describe('secrets', () => {
  it('no log line or error message of this suite contains a key', () => {
    expect(logLines.length).toBeGreaterThan(20);
    expect(errorTexts.length).toBeGreaterThan(10);
    const everything = [...logLines, ...errorTexts].join('\n');
    for (const key of [standIn.adminKey, WRONG_ADMIN_KEY, NON_ADMIN_KEY]) {
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(key.slice(-16));
    }
  });
});
