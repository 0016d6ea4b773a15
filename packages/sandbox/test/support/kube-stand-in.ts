/**
 * Starts the Kubernetes stand-in and hands out @kubernetes/client-node clients built from the
 * kubeconfig it writes, so every test talks to it exactly as the operator does.
 */
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../src/crd/identity.js';
import { type KubeStandIn, type KubeStandInOptions, startKubeStandIn } from '../../src/kube-api/index.js';
import type { KubeStatus } from '../../src/kube-api/status.js';

export interface StandInClients {
  standIn: KubeStandIn;
  kubeConfig: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
}

export async function startWithClients(options: KubeStandInOptions = {}): Promise<StandInClients> {
  const standIn = await startKubeStandIn(options);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(standIn.kubeconfig());
  return {
    standIn,
    kubeConfig,
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    core: kubeConfig.makeApiClient(CoreV1Api),
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
    events: kubeConfig.makeApiClient(EventsV1Api),
  };
}

/** The coordinates CustomObjectsApi needs for CheckpointShares. */
export const CPS = { group: GROUP, version: VERSION, plural: PLURAL } as const;

export const CHECKPOINT = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';

export interface ShareManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; finalizers?: string[] };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export function share(name: string, namespace = 'team-a', spec: Record<string, unknown> = {}): ShareManifest {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'CheckpointShare',
    metadata: { name, namespace },
    spec: { checkpoint: CHECKPOINT, projectIds: ['proj_a'], ...spec },
  };
}

/** A stored CheckpointShare as the API returns it (the client types it `any`). */
export interface StoredShare {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** The Kubernetes Status a failed call carried, with its HTTP code and headers. */
export interface Failure {
  code: number;
  status: KubeStatus | undefined;
  headers: Record<string, string>;
}

export async function failureOf(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (err: unknown) {
    if (err instanceof ApiException) {
      const body: unknown = err.body;
      const status = typeof body === 'string' && body !== '' ? (JSON.parse(body) as KubeStatus) : undefined;
      return { code: err.code, status, headers: err.headers as Record<string, string> };
    }
    throw err;
  }
  throw new Error('the call succeeded but a failure was expected');
}

/** Polls until `probe` returns a value other than undefined, or fails after the deadline. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
