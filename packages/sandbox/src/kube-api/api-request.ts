/** What every resource handler receives, and the query parameters they share. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UnknownFieldPolicy } from '../../../../src/schema/structural-schema.js';
import type { ResponseFormat } from './http-io.js';
import type { ResourceType } from './resources/index.js';
import type { RequestInfo } from './router.js';
import { badRequest } from './status.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';
import type { WatchHub } from './watch-hub.js';

export interface ApiRequest {
  rt: ResourceType;
  info: RequestInfo & { resource: string };
  query: URLSearchParams;
  req: IncomingMessage;
  res: ServerResponse;
  format: ResponseFormat;
  body(): Promise<Buffer>;
}

export interface Reply {
  code: number;
  body: unknown;
  headers?: Record<string, string[]>;
}

/** The state the handlers share: one store, its watch hub, and the resources served. */
export interface Cluster {
  store: ObjectStore;
  hub: WatchHub;
  resources: readonly ResourceType[];
  namespaces: ResourceType;
}

const POLICIES: readonly UnknownFieldPolicy[] = ['Ignore', 'Warn', 'Strict'];

/** The server's default when fieldValidation is absent is Warn (k8s 1.27+). */
export function fieldValidation(query: URLSearchParams): UnknownFieldPolicy {
  const value = query.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  const policy = POLICIES.find((p) => p === value);
  if (!policy) {
    throw badRequest(
      `fieldValidation: Unsupported value: ${JSON.stringify(value)}: supported values: "Ignore", "Warn", "Strict"`,
    );
  }
  return policy;
}

export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const value of values) {
    if (value !== 'All')
      throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(value)}: supported values: "All"`);
  }
  return values.length > 0;
}

export function integerParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw badRequest(`${name}: Invalid value: ${JSON.stringify(value)}: must be a non-negative integer`);
  return Number(value);
}

/** A resourceVersion parameter: undefined for "" and "0" (any version), else the revision. */
export function resourceVersionParam(query: URLSearchParams): number | undefined {
  const value = query.get('resourceVersion');
  if (value === null || value === '' || value === '0') return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`invalid resource version "${value}"`);
  return Number(value);
}

/** Warning headers as the API server sends them for pruned fields under fieldValidation=Warn. */
export function unknownFieldWarnings(fields: readonly string[]): Record<string, string[]> {
  if (fields.length === 0) return {};
  return { Warning: fields.map((f) => `299 - ${JSON.stringify(`unknown field "${f}"`)}`) };
}

/** The object as a client reads it from this resource's endpoint. */
export function present(rt: ResourceType, stored: KubeObject): KubeObject {
  return rt.fromStorage(structuredClone(stored));
}
