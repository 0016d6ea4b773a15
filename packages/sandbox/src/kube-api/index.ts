/**
 * A strict local Kubernetes API server for CheckpointShares and CheckpointSharePolicies (and the
 * Namespaces, Events, Leases and Secrets the operator touches, and the CRDs, read-only), for end-to-end tests, the demo and laptop trials. It is a
 * real HTTP server that the unmodified @kubernetes/client-node and kubectl talk to through a
 * kubeconfig, and it answers like the real API server wherever an operator depends on it.
 */
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { shippedCrds } from '../crd/crd.js';
import type { Cluster } from './api-request.js';
import { type FailureRule, FaultState } from './faults.js';
import { ensureNamespace } from './handlers/create.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { setCreateSystemFields } from './metadata.js';
import { RequestLog, type RequestRecord } from './request-log.js';
import { preinstalledCrd, type ResourceType, servedResources } from './resources/index.js';
import { createApiServer } from './server.js';
import { ObjectStore } from './store.js';
import { type KubeObject, kubeTime } from './types.js';
import { WatchHub } from './watch-hub.js';

export type { FailureRule, InjectedStatus } from './faults.js';
export type { RequestRecord } from './request-log.js';
export type { KubeObject, ObjectMeta } from './types.js';

export interface SeedSecret {
  namespace: string;
  name: string;
  /** Plain-text values, stored base64-encoded in data as the API server does. */
  stringData?: Record<string, string>;
  /** Values already base64-encoded. */
  data?: Record<string, string>;
  type?: string;
  labels?: Record<string, string>;
}

export interface KubeStandInOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, every request must carry `Authorization: Bearer <token>` (else 401); the kubeconfig carries it. */
  token?: string;
  /** How many changes the watch history keeps (default 1000); a watch from before them gets 410. */
  historySize?: number;
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK (default 60000 ms; 0 never). */
  bookmarkIntervalMs?: number;
  /** Secrets present from the start, e.g. the operator's admin key. */
  secrets?: readonly SeedSecret[];
  /** Namespaces present from the start besides default, kube-system, kube-public, kube-node-lease. */
  namespaces?: readonly string[];
  /** Write the kubeconfig here once listening. */
  kubeconfigPath?: string;
  /** Requests kept in the log (default 10000, oldest dropped first). */
  requestLogSize?: number;
}

/** Fault injection, from the process that started the stand-in (see control.ts for HTTP). */
export interface KubeFaults {
  /** Destroys the socket of every open watch, as a lost connection would; returns how many. */
  dropWatches(): number;
  /** Forgets the event history: a watch resuming from any earlier resourceVersion gets 410 Expired. */
  expireHistory(): void;
  /** Fails the next matching requests with 500 (default), 503 or 429 + Retry-After. */
  failNext(rule: FailureRule): void;
  /** Delays every API request by this much (0 to stop). */
  setLatency(ms: number): void;
  /**
   * Refuses every resource request in these namespaces with 403 Forbidden, as RBAC does for a
   * user no role binds there; replaces the previous set ([] lifts it). Open watches stay open.
   */
  forbidNamespaces(namespaces: readonly string[]): void;
  /** Clears pending failures, latency and forbidden namespaces. */
  clear(): void;
}

/**
 * Direct access to the stored objects, bypassing HTTP, validation and the request log, for tests
 * that need to look (did the operator record an Event?) or to change the world behind a client's
 * back. Writes advance the resourceVersion and reach watchers like any other change. `resource`
 * is the plural, qualified by group where it is not core: `checkpointshares.checkpointshare.io`,
 * `leases.coordination.k8s.io`, `events` (core/v1 form), `events.events.k8s.io`, `secrets`,
 * `namespaces`, `customresourcedefinitions`; an unambiguous plural (`checkpointshares`, `leases`)
 * works too.
 */
export interface KubeStandInStore {
  get(resource: string, namespace: string, name: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  /** Creates or replaces; uid and creationTimestamp are kept from the stored object or generated. */
  put(resource: string, obj: KubeObject): KubeObject;
  /** Removes at once, finalizers or not; false if it was not there. */
  remove(resource: string, namespace: string, name: string): boolean;
  /** The current cluster-wide resourceVersion. */
  resourceVersion(): string;
  /**
   * Calls `listener` with every change as it is stored, before any watcher sees it, with the
   * state before it; returns the function that stops the calls. `resource` is the storage
   * bucket (`checkpointshares.checkpointshare.io`, `events`, `leases.coordination.k8s.io`...).
   * For benchmarks that tally what each write changed without watching over HTTP.
   */
  onChange(listener: (change: StoredChange) => void): () => void;
}

/** One stored change, as `store.onChange` reports it. */
export interface StoredChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: string;
  object: KubeObject;
  previous?: KubeObject;
}

/** TCP connections the stand-in accepted, for tests that check a client reuses its connections. */
export interface ConnectionCounts {
  /** Every connection accepted since the start. */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** The most connections open at once. */
  peakOpen: number;
}

export interface KubeStandIn {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The bearer token required, if any. */
  token: string | undefined;
  /** The kubeconfig (YAML) that points kubectl and client-node at this server. */
  kubeconfig(): string;
  writeKubeconfig(path: string): Promise<void>;
  faults: KubeFaults;
  /** Every API request answered so far, oldest first (control endpoints excluded). */
  requests(): RequestRecord[];
  clearRequests(): void;
  store: KubeStandInStore;
  connections(): ConnectionCounts;
  /** Ends open watches, stops listening and closes every connection. */
  close(): Promise<void>;
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function resolve(resources: readonly ResourceType[], name: string): ResourceType {
  const found =
    resources.find((r) => (r.group ? `${r.resource}.${r.group}` : r.resource) === name) ??
    resources.find((r) => r.resource === name);
  if (!found) throw new Error(`the stand-in serves no resource ${JSON.stringify(name)}`);
  return found;
}

/**
 * Starts the stand-in and resolves once it listens.
 *
 * ```ts
 * const kube = await startKubeStandIn({ port: 0, token: 'dev' });
 * await kube.writeKubeconfig('/tmp/kubeconfig');   // kubectl --kubeconfig /tmp/kubeconfig get cps -A
 * const kc = new KubeConfig();
 * kc.loadFromString(kube.kubeconfig());            // or loadFromFile('/tmp/kubeconfig')
 * kube.faults.dropWatches();                       // informers see their watch fail
 * await kube.close();                              // ends watches; the process can exit
 * ```
 *
 * Where it knowingly differs from a real API server: namespaces are created on first use and
 * cannot be deleted; request bodies must be JSON or YAML (no protobuf, so typed kubectl
 * commands such as `kubectl create namespace` fail with 415 while `kubectl apply -f` works);
 * no server-side apply (415); the CustomResourceDefinition from crds/ is pre-installed and
 * read-only (every write to customresourcedefinitions is 405); strategic merge patch is applied as a JSON merge patch; no
 * managedFields; list pages show the state at the time of each page; propagationPolicy is
 * ignored because there is no garbage collector.
 */
export async function startKubeStandIn(options: KubeStandInOptions = {}): Promise<KubeStandIn> {
  const resources = servedResources();
  const namespacesType = resolve(resources, 'namespaces');
  const store = new ObjectStore();
  const hub = new WatchHub(store, {
    historySize: options.historySize ?? 1000,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
  });
  const cluster: Cluster = { store, hub, resources, namespaces: namespacesType };
  const faults = new FaultState();
  const log = new RequestLog(options.requestLogSize ?? 10_000);
  const host = options.host ?? '127.0.0.1';
  let address = `${host}:0`;
  const server = createApiServer({ cluster, faults, log, token: options.token, address: () => address });

  const direct: KubeStandInStore = {
    get: (resource, namespace, name) => {
      const rt = resolve(resources, resource);
      const stored = store.get(rt.storage, namespace, name);
      return stored ? rt.fromStorage(stored) : undefined;
    },
    list: (resource, namespace) => {
      const rt = resolve(resources, resource);
      return store.list(rt.storage, namespace).map((o) => rt.fromStorage(o));
    },
    put: (resource, obj) => {
      const rt = resolve(resources, resource);
      const copy = structuredClone(obj);
      const namespace = rt.namespaced ? (copy.metadata.namespace ?? 'default') : '';
      if (rt.namespaced) {
        copy.metadata.namespace = namespace;
        ensureNamespace(cluster, namespace);
      }
      const existing = store.get(rt.storage, namespace, copy.metadata.name ?? '');
      if (existing) {
        copy.metadata.uid ??= existing.metadata.uid ?? '';
        copy.metadata.creationTimestamp ??= existing.metadata.creationTimestamp ?? kubeTime();
        return rt.fromStorage(store.write('MODIFIED', rt.storage, rt.toStorage(copy)));
      }
      const { uid, creationTimestamp } = copy.metadata;
      setCreateSystemFields(copy.metadata, rt.tracksGeneration, kubeTime());
      if (uid) copy.metadata.uid = uid;
      if (creationTimestamp) copy.metadata.creationTimestamp = creationTimestamp;
      return rt.fromStorage(store.write('ADDED', rt.storage, rt.toStorage(copy)));
    },
    remove: (resource, namespace, name) => {
      const rt = resolve(resources, resource);
      const existing = store.get(rt.storage, namespace, name);
      if (!existing) return false;
      store.write('DELETED', rt.storage, existing);
      return true;
    },
    resourceVersion: () => String(store.resourceVersion),
    onChange: (listener) =>
      store.onChange((change) =>
        listener({
          type: change.type,
          resource: change.storage,
          object: change.object,
          ...(change.previous ? { previous: change.previous } : {}),
        }),
      ),
  };
  const connections: ConnectionCounts = { accepted: 0, open: 0, peakOpen: 0 };
  server.on('connection', (socket) => {
    connections.accepted += 1;
    connections.open += 1;
    connections.peakOpen = Math.max(connections.peakOpen, connections.open);
    socket.once('close', () => {
      connections.open -= 1;
    });
  });

  for (const name of [...SYSTEM_NAMESPACES, ...(options.namespaces ?? [])]) ensureNamespace(cluster, name);
  for (const crd of shippedCrds()) direct.put('customresourcedefinitions', preinstalledCrd(kubeTime(), crd));
  for (const secret of options.secrets ?? []) {
    const data: Record<string, string> = { ...secret.data };
    for (const [key, value] of Object.entries(secret.stringData ?? {})) {
      data[key] = Buffer.from(value, 'utf8').toString('base64');
    }
    direct.put('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secret.name,
        namespace: secret.namespace,
        ...(secret.labels ? { labels: secret.labels } : {}),
      },
      type: secret.type ?? 'Opaque',
      data,
    });
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  address = `${host}:${port}`;
  const url = `http://${address}`;
  const kubeconfig = (): string => kubeconfigYaml({ server: url, token: options.token });
  const writeKubeconfig = (path: string): Promise<void> => writeFile(path, kubeconfig(), { mode: 0o600 });
  if (options.kubeconfigPath) await writeKubeconfig(options.kubeconfigPath);

  let closing: Promise<void> | undefined;
  return {
    url,
    token: options.token,
    kubeconfig,
    writeKubeconfig,
    faults: {
      dropWatches: () => hub.dropAll(),
      expireHistory: () => hub.expireHistory(),
      failNext: (rule) => faults.failNext(rule),
      setLatency: (ms) => {
        faults.latencyMs = ms;
      },
      forbidNamespaces: (namespaces) => {
        faults.forbiddenNamespaces = new Set(namespaces);
      },
      clear: () => faults.clear(),
    },
    requests: () => log.all(),
    clearRequests: () => log.clear(),
    store: direct,
    connections: () => ({ ...connections }),
    close: () => {
      closing ??= new Promise<void>((resolveClose) => {
        hub.closeAll();
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
