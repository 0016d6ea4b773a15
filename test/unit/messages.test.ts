import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import type { CheckpointShare, CheckpointShareStatus, GrantFailure } from '../../src/api/types.js';
import { classifyError } from '../../src/openai/classify.js';
import type { Operation } from '../../src/openai/errors.js';
import { TerminalError } from '../../src/openai/errors.js';
import { explain } from '../../src/openai/explain.js';
import { decide } from '../../src/reconcile/error-policy.js';
import { grantFailureMessage, settle, settleError } from '../../src/reconcile/status.js';
import { K, perm, share } from '../support/builders.js';

/**
 * The text a user reads in `kubectl describe`: what failed, why, and what to do, one clause
 * each, with no classifier prefix ("OpenAI grant on ...") and no reason repeated in the text.
 */

const NOW = new Date('2026-11-29T09:00:00Z');

function answer(code: number, message: string | undefined, headers: Record<string, string> = {}): APIError {
  const body =
    message === undefined
      ? undefined
      : { error: { message, type: 'invalid_request_error', param: null, code: null } };
  return APIError.generate(code, body, undefined, new Headers({ 'x-request-id': 'req_123', ...headers }));
}

const condition = (status: CheckpointShareStatus | undefined, type: string) =>
  status?.conditions?.find((c) => c.type === type);

interface PassCase {
  reason: string;
  raw: unknown;
  operation: Operation;
  message: string;
}

const passCases: PassCase[] = [
  {
    reason: 'Unauthorized: the key is refused; fix the key (OpenAI echoes no key back)',
    raw: answer(401, 'Incorrect API key provided: sk-admin-abc123DEF456ghi789jkl0mn'),
    operation: 'list',
    message: `Cannot list permissions on ${K}: OpenAI refused the admin key (401); put a valid admin key in the operator's Secret and restart the operator`,
  },
  {
    reason: "Forbidden: OpenAI's words say which permission is missing",
    raw: answer(403, 'You have insufficient permissions for this operation.'),
    operation: 'grant',
    message: `Cannot grant permissions on ${K}: OpenAI denied the admin key access (403: You have insufficient permissions for this operation.); use an admin key of the organization that owns the checkpoint`,
  },
  {
    reason: 'CheckpointNotFound on a revoke',
    raw: answer(404, 'Checkpoint not found'),
    operation: 'revoke',
    message: `Cannot revoke a permission on ${K}: OpenAI has no checkpoint by this name in the admin key's organization; check spec.checkpoint`,
  },
  {
    reason: 'BadResponse: a proxy page keeps its request id for a support ticket',
    raw: answer(404, undefined),
    operation: 'list',
    message: `Cannot list permissions on ${K}: OpenAI's answer could not be used (404: not an OpenAI error body: no body, request req_123); retrying with backoff (if it persists, check OPENAI_BASE_URL and any proxy in between)`,
  },
  {
    reason: 'transient 429: rate limited, retried',
    raw: answer(429, 'Rate limit reached', { 'retry-after': '2' }),
    operation: 'grant',
    message: `Cannot grant permissions on ${K}: OpenAI is rate limiting the operator (429); retrying with backoff`,
  },
  {
    reason: 'transient 5xx: the status, its words and the request id',
    raw: answer(503, 'The server is overloaded'),
    operation: 'list',
    message: `Cannot list permissions on ${K}: OpenAI answered 503: The server is overloaded, request req_123; retrying with backoff`,
  },
  {
    reason: 'transient timeout',
    raw: new APIConnectionTimeoutError(),
    operation: 'revoke',
    message: `Cannot revoke a permission on ${K}: the request timed out; retrying with backoff`,
  },
];

describe('the condition message of a failed pass', () => {
  it.each(passCases)('$reason', ({ raw, operation, message }) => {
    const decision = decide(classifyError(raw, { operation, checkpoint: K }));
    expect(decision.message).toBe(message);
    expect(decision.message).not.toMatch(/OpenAI (list|grant|revoke) on/);
    expect(decision.message).not.toContain('sk-admin-');
    const statuses = settleError(
      {
        checkpoint: K,
        shares: [share('a').projects('proj_a').managing('proj_a').build()],
        listed: undefined,
        retryFailed: false,
      },
      decision,
      NOW,
    );
    expect(condition(statuses.get('ml/a'), 'Ready')?.message).toBe(message);
  });
});

describe('a key in what OpenAI or the network said', () => {
  const key = 'sk-admin-THISisAsecretKEY1234567890';
  it.each([
    { reason: '401', raw: answer(401, `Incorrect API key provided: ${key}`), operation: 'list' as const },
    {
      reason: '403, whose words are quoted',
      raw: answer(403, `key ${key} may not`),
      operation: 'list' as const,
    },
    {
      reason: '400 on grant, quoted in the failure',
      raw: answer(400, `bad ${key} proj_x`),
      operation: 'grant' as const,
    },
    { reason: '5xx, quoted', raw: answer(502, `upstream saw ${key}`), operation: 'revoke' as const },
    {
      reason: 'a failed connection',
      raw: new APIConnectionError({ message: `via ${key}` }),
      operation: 'list' as const,
    },
  ])('never reaches a condition or a failure: $reason', ({ raw, operation }) => {
    const error = classifyError(raw, { operation, checkpoint: K });
    const { why, fix } = explain(error);
    for (const text of [decide(error).message, why, fix]) {
      expect(text).not.toContain('THISisAsecretKEY');
    }
  });
});

describe('a deleting object whose pass failed says its deletion waits, on what, and the way out', () => {
  const deleting = (): CheckpointShare =>
    share('a').projects('proj_a', 'proj_b').managing('proj_b', 'proj_a').deleting().build();

  it.each([
    {
      reason: 'a bad key: fix it, or orphan the grants',
      raw: answer(401, 'Incorrect API key provided'),
      stalled: 'True',
      message: `Deletion is waiting: cannot revoke proj_a, proj_b on ${K} because OpenAI refused the admin key (401); put a valid admin key in the operator's Secret and restart the operator, or set deletionPolicy: Orphan to leave the grants`,
    },
    {
      reason: 'an outage: the operator retries by itself, nothing to choose',
      raw: answer(503, 'The server is overloaded'),
      stalled: 'False',
      message: `Deletion is waiting: cannot revoke proj_a, proj_b on ${K} because OpenAI answered 503: The server is overloaded, request req_123; retrying with backoff`,
    },
  ])('$reason', ({ raw, stalled, message }) => {
    const decision = decide(classifyError(raw, { operation: 'list', checkpoint: K }));
    const status = settleError(
      { checkpoint: K, shares: [deleting()], listed: undefined, retryFailed: false },
      decision,
      NOW,
    ).get('ml/a');
    expect(condition(status, 'Ready')?.message).toBe(message);
    expect(condition(status, 'Stalled')?.status).toBe(stalled);
  });
});

describe('a deleting object whose pass went well but still holds grants', () => {
  it('says its deletion waits on the grants it is revoking or handing over', () => {
    const { statuses } = settle({
      view: {
        checkpoint: K,
        shares: [share('a').projects('proj_a').managing('proj_a').deleting().build()],
        listed: [perm('proj_a')],
        retryFailed: true,
      },
      grantFailures: new Map(),
      now: NOW,
    });
    expect(condition(statuses.get('ml/a'), 'Reconciling')).toMatchObject({
      status: 'True',
      message: `Deletion is waiting: revoking or handing over proj_a on ${K}`,
    });
  });
});

describe('a project OpenAI refuses', () => {
  const refusal = (detail: string) => {
    const error = classifyError(answer(400, detail), { operation: 'grant', checkpoint: K });
    if (!(error instanceof TerminalError))
      throw new Error(`a 400 on grant was classified transient: ${error.message}`);
    return error;
  };

  it.each([
    {
      reason: 'OwningProject: why it can never work, and what to change',
      error: refusal('Cannot modify checkpoint permissions for the owning project: proj_owner'),
      failure:
        'it owns the checkpoint, and OpenAI does not let the owning project be modified; remove it from spec.projectIds',
    },
    {
      reason: "InvalidProject: OpenAI's words, since they say what is wrong with the id",
      error: refusal('Project not found in organization: proj_x'),
      failure:
        'OpenAI does not accept it as a project of this organization (Project not found in organization: proj_x); check the id in spec.projectIds',
    },
  ])('$reason', ({ error, failure }) => {
    const { why, fix } = explain(error);
    expect(`${why}; ${fix}`).toBe(failure);
    const projectId = error.projectId ?? 'proj_x';
    const recorded: GrantFailure = { projectId, reason: error.reason, message: failure };
    expect(grantFailureMessage(K, recorded)).toBe(`Cannot grant ${projectId} on ${K}: ${failure}`);
    const { statuses } = settle({
      view: {
        checkpoint: K,
        shares: [share('a').projects('proj_a', projectId).managing('proj_a').build()],
        listed: [perm('proj_a')],
        retryFailed: true,
      },
      grantFailures: new Map([[projectId, recorded]]),
      now: NOW,
    });
    expect(condition(statuses.get('ml/a'), 'Stalled')?.message).toBe(
      `Cannot grant ${projectId} on ${K}: ${failure}. 1 of 2 projects granted.`,
    );
  });
});
