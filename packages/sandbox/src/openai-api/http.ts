import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a route decided; written by the server, unless a fault replaces it. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** OpenAI's error envelope; every field is present, null when it does not apply. */
export function errorReply(
  status: number,
  message: string,
  options: { type?: string; param?: string | null; code?: string | null } = {},
): Reply {
  const body: OpenAIErrorBody = {
    error: {
      message,
      type: options.type ?? 'invalid_request_error',
      param: options.param ?? null,
      code: options.code ?? null,
    },
  };
  return { status, body };
}

export function newRequestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

export function writeJson(res: ServerResponse, reply: Reply, requestId: string): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
    ...reply.headers,
  });
  res.end(text);
}

export function writeRaw(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  requestId: string,
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
  });
  res.end(text);
}

/**
 * Sends the status and headers at once, then the body one byte every intervalMs. Stops, with the
 * signal's reason, when the client goes away or the stand-in closes.
 */
export async function writeTrickle(
  res: ServerResponse,
  reply: Reply,
  requestId: string,
  intervalMs: number,
  closing: AbortSignal,
): Promise<void> {
  const body = Buffer.from(JSON.stringify(reply.body));
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': body.length,
    'x-request-id': requestId,
    ...reply.headers,
  });
  res.flushHeaders();
  const gone = new AbortController();
  const onClose = () => gone.abort(new Error('the client closed the connection'));
  res.once('close', onClose);
  try {
    const signal = AbortSignal.any([closing, gone.signal]);
    for (const byte of body) {
      await delay(intervalMs, signal);
      res.write(Buffer.of(byte));
    }
    res.end();
  } finally {
    res.off('close', onClose);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

/** The request body as text; undefined when it is larger than any real request would be. */
export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves after ms, or rejects when the server is closing so no timer outlives it. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
