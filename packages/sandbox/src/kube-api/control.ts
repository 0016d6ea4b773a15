/**
 * The stand-in's own endpoints under /_sandbox/, for tests and demos driving it from outside the
 * process (a shell, another language). They sit behind the same bearer token as the API, when
 * one is set, and are not recorded in the request log.
 *
 *   GET    /_sandbox/state      revision, open watches, oldest resumable revision, pending faults
 *   GET    /_sandbox/requests   the request log;  DELETE clears it
 *   POST   /_sandbox/faults     {"dropWatches": true, "expireHistory": true, "latencyMs": 200,
 *                                "failNext": {"count": 2, "code": 429, "method": "PUT",
 *                                             "path": "checkpointshares", "retryAfterSeconds": 1},
 *                                "forbidNamespaces": ["b"]}   (replaces the set; [] lifts it)
 *   DELETE /_sandbox/faults     no more latency, pending failures or forbidden namespaces
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from '../../../../src/schema/structural-schema.js';
import type { FailureRule, FaultState, InjectedStatus } from './faults.js';
import { decodeText, readBody, sendObject } from './http-io.js';
import type { RequestLog } from './request-log.js';
import { badRequest, methodNotAllowed, pathNotFound } from './status.js';
import type { ObjectStore } from './store.js';
import type { WatchHub } from './watch-hub.js';

export const CONTROL_PREFIX = '/_sandbox/';

export interface ControlDeps {
  store: ObjectStore;
  hub: WatchHub;
  faults: FaultState;
  log: RequestLog;
}

function failureRule(value: unknown): FailureRule {
  if (!isRecord(value) || typeof value.count !== 'number') throw badRequest('failNext needs {"count": N}');
  const code = value.code;
  if (code !== undefined && code !== 500 && code !== 503 && code !== 429) {
    throw badRequest('failNext.code must be 500, 503 or 429');
  }
  return {
    count: value.count,
    ...(code !== undefined ? { code: code as InjectedStatus } : {}),
    ...(typeof value.method === 'string' ? { method: value.method } : {}),
    ...(typeof value.path === 'string' ? { path: value.path } : {}),
    ...(typeof value.retryAfterSeconds === 'number' ? { retryAfterSeconds: value.retryAfterSeconds } : {}),
  };
}

export async function handleControl(
  deps: ControlDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const route = `${req.method ?? 'GET'} ${path.slice(CONTROL_PREFIX.length).replace(/\/$/, '')}`;
  switch (route) {
    case 'GET state':
      return sendObject(res, 200, {
        resourceVersion: String(deps.store.resourceVersion),
        openWatches: deps.hub.openWatches,
        oldestResumableVersion: String(deps.hub.oldestResumableVersion),
        pendingFailures: deps.faults.pendingFailures,
        latencyMs: deps.faults.latencyMs,
        forbiddenNamespaces: [...deps.faults.forbiddenNamespaces],
      });
    case 'GET requests':
      return sendObject(res, 200, deps.log.all());
    case 'DELETE requests':
      deps.log.clear();
      return sendObject(res, 200, {});
    case 'DELETE faults':
      deps.faults.clear();
      return sendObject(res, 200, {});
    case 'POST faults': {
      const body = decodeText(await readBody(req), 'json');
      if (!isRecord(body)) throw badRequest('expected a JSON object');
      const result: Record<string, unknown> = {};
      if (body.failNext !== undefined) deps.faults.failNext(failureRule(body.failNext));
      if (typeof body.latencyMs === 'number') deps.faults.latencyMs = body.latencyMs;
      if (body.expireHistory === true) deps.hub.expireHistory();
      if (body.forbidNamespaces !== undefined) {
        const names = body.forbidNamespaces;
        if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
          throw badRequest('forbidNamespaces must be a list of namespace names');
        }
        deps.faults.forbiddenNamespaces = new Set(names);
      }
      if (body.dropWatches === true) result.droppedWatches = deps.hub.dropAll();
      return sendObject(res, 200, result);
    }
    default:
      if (['state', 'requests', 'faults'].includes(path.slice(CONTROL_PREFIX.length).replace(/\/$/, ''))) {
        throw methodNotAllowed();
      }
      throw pathNotFound();
  }
}
