import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  InternalServerError,
  OpenAIError,
} from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyError } from '../../src/openai/classify.js';
import { type Operation, TerminalError, TransientError } from '../../src/openai/errors.js';
import { BodyShapeError } from '../../src/openai/response-body.js';
import { parseRetryAfter } from '../../src/openai/retry-after.js';

const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';
const NOW = Date.parse('2025-01-01T00:00:00Z');

/** An SDK error as the SDK builds it from a response. */
function status(code: number, message: string | undefined, headers: Record<string, string> = {}): APIError {
  const body =
    message === undefined
      ? undefined
      : { error: { message, type: 'invalid_request_error', param: null, code: null } };
  return APIError.generate(code, body, undefined, new Headers({ 'x-request-id': 'req_123', ...headers }));
}

interface Case {
  reason: string;
  error: unknown;
  operation?: Operation;
  transient: boolean;
  terminalReason?: string;
  projectId?: string;
  retryAfterMs?: number;
  httpStatus?: number;
  requestId?: string;
}

const cases: Case[] = [
  {
    reason: '401 is a bad or non-admin key',
    error: status(401, 'Incorrect API key provided'),
    transient: false,
    terminalReason: 'Unauthorized',
    httpStatus: 401,
    requestId: 'req_123',
  },
  {
    reason: '403 is a key without the scope',
    error: status(403, 'forbidden'),
    transient: false,
    terminalReason: 'Forbidden',
    httpStatus: 403,
  },
  {
    reason: '404 on list is an unknown checkpoint',
    error: status(404, 'no such checkpoint'),
    operation: 'list',
    transient: false,
    terminalReason: 'CheckpointNotFound',
  },
  {
    reason: '404 on grant is an unknown checkpoint',
    error: status(404, 'no such checkpoint'),
    operation: 'grant',
    transient: false,
    terminalReason: 'CheckpointNotFound',
  },
  {
    reason: 'a 404 without an OpenAI error body (a proxy page, a wrong base URL) proves nothing: BadResponse',
    error: status(404, undefined),
    operation: 'list',
    transient: false,
    terminalReason: 'BadResponse',
  },
  {
    reason: '400 naming the owning project is OwningProject, with the project',
    error: status(400, 'Cannot modify checkpoint permissions for the owning project: proj_owner42'),
    operation: 'grant',
    transient: false,
    terminalReason: 'OwningProject',
    projectId: 'proj_owner42',
  },
  {
    reason: '400 naming another project is InvalidProject, with the project',
    error: status(400, 'Project not found in organization: proj_ghost'),
    operation: 'grant',
    transient: false,
    terminalReason: 'InvalidProject',
    projectId: 'proj_ghost',
  },
  {
    reason: '400 naming no project is InvalidProject without one (the caller splits the batch)',
    error: status(400, 'Invalid project id format in project_ids.'),
    operation: 'grant',
    transient: false,
    terminalReason: 'InvalidProject',
  },
  {
    reason: '400 on list is a request the operator got wrong',
    error: status(400, "Invalid 'limit'"),
    operation: 'list',
    transient: false,
    terminalReason: 'BadResponse',
  },
  {
    reason: '422 is not retryable',
    error: status(422, 'unprocessable'),
    transient: false,
    terminalReason: 'BadResponse',
  },
  {
    reason: '429 with retry-after seconds',
    error: status(429, 'Rate limit reached', { 'retry-after': '7' }),
    transient: true,
    retryAfterMs: 7000,
    httpStatus: 429,
  },
  {
    reason: '429 prefers retry-after-ms',
    error: status(429, 'Rate limit reached', { 'retry-after': '7', 'retry-after-ms': '1500' }),
    transient: true,
    retryAfterMs: 1500,
  },
  { reason: '429 without a delay', error: status(429, 'Rate limit reached'), transient: true },
  { reason: '408 is a request timeout', error: status(408, 'timeout'), transient: true },
  { reason: '409 is a lock conflict', error: status(409, 'conflict'), transient: true },
  { reason: '500', error: status(500, 'The server had an error'), transient: true, httpStatus: 500 },
  {
    reason: '503 with a long retry-after keeps it whole',
    error: status(503, 'overloaded', { 'retry-after': '3600' }),
    transient: true,
    retryAfterMs: 3_600_000,
  },
  {
    reason: '502 HTML page from a gateway stays transient',
    error: new InternalServerError(
      502,
      undefined,
      '<html><body><h1>502 Bad Gateway</h1></body></html>',
      new Headers(),
    ),
    transient: true,
    httpStatus: 502,
  },
  {
    reason: 'connection reset',
    error: new APIConnectionError({ message: 'Connection error.' }),
    transient: true,
  },
  { reason: 'timeout', error: new APIConnectionTimeoutError(), transient: true },
  { reason: 'aborted request', error: new APIUserAbortError(), transient: true },
  {
    reason: 'malformed 2xx body',
    error: new BodyShapeError('no data array'),
    transient: false,
    terminalReason: 'BadResponse',
  },
  {
    reason: 'unparseable 2xx body',
    error: new SyntaxError('Unexpected end of JSON input'),
    transient: false,
    terminalReason: 'BadResponse',
  },
  { reason: 'a network failure below the SDK', error: new TypeError('terminated'), transient: true },
  { reason: 'an SDK error without a response', error: new OpenAIError('something odd'), transient: true },
];

describe('classifyError', () => {
  it.each(cases)('$reason', (c) => {
    const operation = c.operation ?? 'grant';
    const error = classifyError(c.error, { operation, checkpoint: CHECKPOINT }, NOW);
    expect(error.transient).toBe(c.transient);
    expect(error.operation).toBe(operation);
    expect(error.checkpoint).toBe(CHECKPOINT);
    expect(error.message).toContain(CHECKPOINT);
    if (c.transient) {
      expect(error).toBeInstanceOf(TransientError);
      expect((error as TransientError).retryAfterMs).toBe(c.retryAfterMs);
    } else {
      expect(error).toBeInstanceOf(TerminalError);
      expect((error as TerminalError).reason).toBe(c.terminalReason);
      expect((error as TerminalError).projectId).toBe(c.projectId);
    }
    if (c.httpStatus !== undefined) expect(error.status).toBe(c.httpStatus);
    if (c.requestId !== undefined) expect(error.requestId).toBe(c.requestId);
  });

  it('reduces an HTML error page to its words', () => {
    const error = classifyError(
      new InternalServerError(
        502,
        undefined,
        '<html>\n<head><title>502 Bad Gateway</title></head></html>',
        new Headers(),
      ),
      { operation: 'list', checkpoint: CHECKPOINT },
    );
    expect(error.message).not.toMatch(/[<>]/);
    expect(error.message).toContain('502 Bad Gateway');
  });

  it('never lets a key through in a message', () => {
    const key = 'sk-admin-THISisAsecretKEY1234567890';
    const cases = [
      status(401, `Incorrect API key provided: ${key}`),
      new APIConnectionError({ message: `could not reach host with ${key}` }),
      new Error(`boom ${key}`),
    ];
    for (const raw of cases) {
      const error = classifyError(raw, { operation: 'list', checkpoint: CHECKPOINT });
      expect(error.message).not.toContain(key);
      expect(error.message).not.toContain('THISisAsecretKEY');
    }
  });

  it('passes an already classified error through unchanged', () => {
    const original = new TransientError('x', { operation: 'list', checkpoint: CHECKPOINT });
    expect(classifyError(original, { operation: 'grant', checkpoint: 'other' })).toBe(original);
  });

  it('keeps the request id and status of a 2xx whose body was unusable', () => {
    const error = classifyError(new SyntaxError('bad'), {
      operation: 'list',
      checkpoint: CHECKPOINT,
      status: 200,
      requestId: 'req_ok',
    });
    expect(error).toMatchObject({ status: 200, requestId: 'req_ok', reason: 'BadResponse' });
  });
});

describe('parseRetryAfter', () => {
  const headers = (values: Record<string, string>) => new Headers(values);
  it.each([
    { reason: 'no headers at all', headers: undefined, expected: undefined },
    { reason: 'neither header', headers: headers({}), expected: undefined },
    { reason: 'seconds', headers: headers({ 'retry-after': '30' }), expected: 30_000 },
    { reason: 'fractional seconds', headers: headers({ 'retry-after': '0.25' }), expected: 250 },
    {
      reason: 'a long value is kept whole',
      headers: headers({ 'retry-after': '86400' }),
      expected: 86_400_000,
    },
    {
      reason: 'milliseconds win over seconds',
      headers: headers({ 'retry-after-ms': '120', 'retry-after': '30' }),
      expected: 120,
    },
    {
      reason: 'fractional milliseconds round up',
      headers: headers({ 'retry-after-ms': '12.2' }),
      expected: 13,
    },
    {
      reason: 'an HTTP date',
      headers: headers({ 'retry-after': new Date(NOW + 90_000).toUTCString() }),
      expected: 90_000,
    },
    {
      reason: 'an HTTP date in the past is now',
      headers: headers({ 'retry-after': new Date(NOW - 5000).toUTCString() }),
      expected: 0,
    },
    { reason: 'garbage is ignored', headers: headers({ 'retry-after': 'soon' }), expected: undefined },
    {
      reason: 'a bad ms value falls back to seconds',
      headers: headers({ 'retry-after-ms': 'x', 'retry-after': '2' }),
      expected: 2000,
    },
  ])('$reason', ({ headers, expected }) => {
    expect(parseRetryAfter(headers, NOW)).toBe(expected);
  });
});
