/**
 * The HTTP front: authentication, the request log, injected latency and failures, then routing to
 * discovery, the resource handlers or the control endpoints. Every failure leaves as a
 * Kubernetes Status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiRequest, Cluster } from './api-request.js';
import { CONTROL_PREFIX, handleControl } from './control.js';
import { discoveryDocument } from './discovery.js';
import type { FaultState } from './faults.js';
import { handleResource } from './handlers/index.js';
import { negotiate, readBody, sendObject } from './http-io.js';
import { OPENAPI_V2_PROTOBUF, openApiDocument } from './openapi.js';
import type { RequestLog, RequestRecord } from './request-log.js';
import { parseRequestInfo } from './router.js';
import { internalError, KubeError, pathNotFound, unauthorized } from './status.js';

export interface ServerDeps {
  cluster: Cluster;
  faults: FaultState;
  log: RequestLog;
  token: string | undefined;
  /** host:port, for the addresses /api advertises. */
  address(): string;
}

const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);

export function createApiServer(deps: ServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => fail(res, err));
  });
}

function authorized(deps: ServerDeps, req: IncomingMessage): boolean {
  return deps.token === undefined || req.headers.authorization === `Bearer ${deps.token}`;
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path.startsWith(CONTROL_PREFIX)) {
    if (!authorized(deps, req)) throw unauthorized();
    return handleControl({ ...deps.cluster, faults: deps.faults, log: deps.log }, req, res, path);
  }
  const info = parseRequestInfo(method, path, url.searchParams);
  const record: RequestRecord = {
    time: new Date().toISOString(),
    method,
    path,
    query: Object.fromEntries(url.searchParams),
    status: 0,
    userAgent: req.headers['user-agent'] ?? '',
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    ...(info.isResourceRequest ? { apiGroup: info.apiGroup, apiVersion: info.apiVersion } : {}),
    ...(info.namespace !== undefined ? { namespace: info.namespace } : {}),
    ...(info.resource !== undefined ? { resource: info.resource } : {}),
    ...(info.subresource !== undefined ? { subresource: info.subresource } : {}),
    ...(info.name !== undefined ? { name: info.name } : {}),
    ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
  };
  deps.log.add(record);
  // The status is known once the head is written; a watch keeps streaming after that.
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    record.status = typeof args[0] === 'number' ? args[0] : res.statusCode;
    return writeHead(...args);
  }) as typeof res.writeHead;

  if (!authorized(deps, req)) throw unauthorized();
  if (deps.faults.latencyMs > 0) await sleep(deps.faults.latencyMs);
  const injected = deps.faults.take(method, path);
  if (injected) throw injected;
  if (info.isResourceRequest && info.resource !== undefined) {
    const denied = deps.faults.forbids(info.verb, info.resource, info.apiGroup, info.namespace);
    if (denied) throw denied;
  }

  if (!info.isResourceRequest || info.resource === undefined) {
    if (HEALTH_PATHS.has(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    const doc = discoveryDocument(deps.cluster.resources, path, deps.address());
    if (doc !== undefined) return sendObject(res, 200, doc);
    const openApi = openApiDocument(deps.cluster.resources, path);
    if (openApi === undefined) throw pathNotFound();
    if (openApi.kind === 'json') return sendObject(res, 200, openApi.body);
    res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF, 'Content-Length': openApi.body.length });
    res.end(openApi.body);
    return;
  }
  const rt = deps.cluster.resources.find(
    (r) => r.group === info.apiGroup && r.version === info.apiVersion && r.resource === info.resource,
  );
  if (!rt) throw pathNotFound();
  let body: Promise<Buffer> | undefined;
  const request: ApiRequest = {
    rt,
    info: { ...info, resource: info.resource },
    query: url.searchParams,
    req,
    res,
    format: negotiate(req.headers.accept),
    body: () => {
      body ??= readBody(req);
      return body;
    },
  };
  const reply = await handleResource(deps.cluster, request);
  if (reply) sendObject(res, reply.code, reply.body, request.format, reply.headers);
}

function fail(res: ServerResponse, err: unknown): void {
  const error =
    err instanceof KubeError ? err : internalError(err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendObject(res, error.code, error.toStatus(), { kind: 'json' }, error.headers);
}
