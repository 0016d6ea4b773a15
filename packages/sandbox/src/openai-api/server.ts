import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AdminRoute, authorize, handleAdminRequest, invalidUrl, matchRoute } from './admin-api.js';
import { apiKeyActor } from './audit-log.js';
import { CONTROL_PREFIX, handleControlRequest } from './control.js';
import type { FaultInjector, FaultSpec } from './faults.js';
import {
  delay,
  errorReply,
  newRequestId,
  type Reply,
  readBody,
  writeJson,
  writeRaw,
  writeTrickle,
} from './http.js';
import type { RequestLog, RequestRecord } from './request-log.js';
import type { PermissionStore } from './store.js';

/** Counts admin API requests being served, so tests can wait until a slow one has taken effect. */
export class InFlight {
  #count = 0;
  #waiters: Array<() => void> = [];

  start(): void {
    this.#count += 1;
  }

  end(): void {
    this.#count -= 1;
    if (this.#count === 0) for (const wake of this.#waiters.splice(0)) wake();
  }

  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

export interface StandInState {
  store: PermissionStore;
  faults: FaultInjector;
  log: RequestLog;
  adminKey: string;
  /** The admin key's tracking id: the audit log's actor of changes made with the key. */
  adminKeyId: string;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Aborted when the stand-in closes: held requests stop waiting. */
  closing: AbortSignal;
  inFlight: InFlight;
}

const BAD_GATEWAY_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n';

/** Writes the fault's answer; returns the status sent, or null for a reset connection. */
function sendFault(res: ServerResponse, fault: FaultSpec, requestId: string): number | null {
  switch (fault.kind) {
    case 'rate-limit': {
      const seconds = fault.retryAfterSeconds ?? 1;
      const reply: Reply = errorReply(
        429,
        `Rate limit reached for requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in ${seconds}s.`,
        { type: 'requests', code: 'rate_limit_exceeded' },
      );
      reply.headers = { 'retry-after': String(seconds) };
      if (fault.retryAfterMs !== undefined) reply.headers['retry-after-ms'] = String(fault.retryAfterMs);
      writeJson(res, reply, requestId);
      return 429;
    }
    case 'server-error':
      writeJson(
        res,
        errorReply(500, 'The server had an error while processing your request. Sorry about that!', {
          type: 'server_error',
        }),
        requestId,
      );
      return 500;
    case 'bad-gateway':
      writeRaw(res, 502, 'text/html', BAD_GATEWAY_PAGE, requestId);
      return 502;
    case 'malformed':
      writeRaw(res, 200, 'application/json', '{"object":"list","data":[{"id":"cp_', requestId);
      return 200;
    case 'reset':
      res.socket?.destroy();
      return null;
    case 'latency':
      throw new Error('latency delays an answer; it is not one');
    case 'trickle':
      throw new Error('trickle slows an answer down; it is not one');
  }
}

/** The answer OpenAI would give; authorization comes first, as on the real API. */
function carryOut(
  req: IncomingMessage,
  url: URL,
  route: AdminRoute | undefined,
  body: string | undefined,
  state: StandInState,
): Reply {
  if (body === undefined) return errorReply(413, 'Request body too large.');
  if (!route) return invalidUrl(req.method ?? 'GET', url.pathname);
  return (
    authorize(req.headers.authorization, state.adminKey, route) ??
    handleAdminRequest(route, url.searchParams, body, state.store, apiKeyActor(state.adminKeyId))
  );
}

async function serveAdminApi(req: IncomingMessage, res: ServerResponse, url: URL, state: StandInState) {
  const method = req.method ?? 'GET';
  const requestId = newRequestId();
  const route = matchRoute(method, url.pathname);
  state.log.arrived(route?.operation);
  const record: RequestRecord = {
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    status: null,
    requestId,
    time: state.now(),
  };
  if (route) record.operation = route.operation;
  if (route && 'checkpoint' in route) record.checkpoint = route.checkpoint;
  const fault = route && state.faults.take(route.operation);
  if (fault) record.fault = fault.kind;
  // A 429 and a plain fault answer before the request is looked at; afterCommit faults only
  // replace the answer of a request that has been carried out. Latency and trickle only slow
  // the real answer down.
  const slows = fault?.kind === 'latency' || fault?.kind === 'trickle';
  const failsBefore = fault && !slows && (fault.kind === 'rate-limit' || !fault.afterCommit);
  try {
    // Read before any delay: a request that arrived whole is carried out even if its client
    // gives up while it is held, as a slow server would.
    const body = await readBody(req);
    if (fault?.kind === 'latency') await delay(fault.latencyMs ?? 1000, state.closing);
    if (fault && failsBefore) {
      record.status = sendFault(res, fault, requestId);
      return;
    }
    const reply = carryOut(req, url, route, body, state);
    if (fault?.kind === 'trickle') {
      record.status = reply.status;
      await writeTrickle(res, reply, requestId, fault.byteIntervalMs ?? 1000, state.closing);
      return;
    }
    if (fault && !slows) {
      record.status = sendFault(res, fault, requestId);
      return;
    }
    writeJson(res, reply, requestId);
    record.status = reply.status;
  } finally {
    state.log.record(record);
  }
}

async function serve(req: IncomingMessage, res: ServerResponse, state: StandInState): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  if (url.pathname.startsWith(CONTROL_PREFIX)) {
    const body = await readBody(req);
    const reply =
      body === undefined
        ? errorReply(413, 'Request body too large.')
        : handleControlRequest(req.method ?? 'GET', url.pathname, body, state);
    writeJson(res, reply, newRequestId());
    return;
  }
  state.inFlight.start();
  try {
    await serveAdminApi(req, res, url, state);
  } finally {
    state.inFlight.end();
  }
}

/** The stand-in's HTTP server; see ./index.ts for how it is started and what it serves. */
export function createStandInServer(state: StandInState): Server {
  return createServer((req, res) => {
    serve(req, res, state).catch(() => {
      // Only a closing server or a client that went away gets here; neither can be answered.
      res.socket?.destroy();
    });
  });
}
