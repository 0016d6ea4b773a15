import { type CustomObjectsApi, type KubeConfig, Watch } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../api/constants.js';
import type { CheckpointShare } from '../api/types.js';
import { backoffDelay } from '../flow/backoff.js';
import { describeKubeError } from '../kube/client.js';
import { withDeadline } from '../kube/deadline.js';
import type { Logger } from '../observability/logger.js';
import { keyOf } from '../reconcile/share-facts.js';

export interface InformerHandlers {
  upsert(share: CheckpointShare): void;
  remove(key: string): void;
  /** Keys currently known in a scope, so a relist can report what vanished meanwhile. */
  keysIn(namespace: string | undefined): string[];
}

export interface InformerOptions {
  /** Empty: one cluster-wide list and watch. */
  namespaces: readonly string[];
  logger: Logger;
  /**
   * Server-side watch timeout (default 300 s, plus up to 20 % jitter): the normal end of a
   * watch, renewed from the last resourceVersion.
   */
  watchTimeoutSeconds?: number;
  /**
   * How long a watch may carry no bytes before the client gives it up as dead (default 3 min).
   * It must exceed the server's bookmark period (about a minute on a real API server), or every
   * quiet watch is torn down and re-established between two bookmarks.
   */
  watchInactivityMs?: number;
  /** Deadline of one full list of a scope, body included (default 2 min). */
  listTimeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called whenever a scope becomes synced or its reason for not being synced changes. */
  onScopesChanged?: (scopes: readonly ScopeState[]) => void;
}

/** A watched namespace (`*` for the whole cluster) and whether its first list has succeeded. */
export interface ScopeState {
  scope: string;
  synced: boolean;
  /** Why the scope is not synced (or why its watch keeps failing after it was). */
  problem: string | undefined;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: { metadata?: { resourceVersion?: string }; code?: number; message?: string; reason?: string };
}

/** A full list of a scope may be large; it still ends, and a failed one is retried with backoff. */
const LIST_TIMEOUT_MS = 2 * 60_000;

class GoneError extends Error {}

/** Three bookmark periods of a real API server: a watch this quiet has lost its connection. */
export const DEFAULT_WATCH_INACTIVITY_MS = 3 * 60_000;

/**
 * A list-and-watch loop per scope that never stops silently, unlike client-node's informer
 * (which gives up after an abrupt drop or a non-410 error). Every end of a watch (server
 * timeout, dropped connection, the client's inactivity timeout when even bookmarks stop, an
 * ERROR event) leads to exactly one successor: a resumed watch, or a relist after 410 Gone.
 */
export class ShareInformer {
  private readonly loops: ScopeLoop[];
  private stopped = false;

  constructor(
    kubeConfig: KubeConfig,
    api: CustomObjectsApi,
    handlers: InformerHandlers,
    options: InformerOptions,
  ) {
    const scopes = options.namespaces.length > 0 ? [...options.namespaces] : [undefined];
    this.loops = scopes.map(
      (ns) =>
        new ScopeLoop(
          ns,
          kubeConfig,
          api,
          handlers,
          options,
          () => this.stopped,
          () => options.onScopesChanged?.(this.scopes),
        ),
    );
  }

  /**
   * Starts every scope on its own and resolves once each has either been listed or failed its
   * first attempt: one namespace the operator may not read must not hold up the others. A scope
   * that fails keeps retrying; its shares reach the handlers whenever its list succeeds.
   */
  async start(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.start()));
  }

  /** Every scope has been listed once: the cache holds every share the operator may see. */
  get synced(): boolean {
    return this.loops.every((l) => l.synced);
  }

  get scopes(): ScopeState[] {
    return this.loops.map((l) => l.state);
  }

  /** Watches issued, relists and bookmarks received so far, for tests and logs. */
  get stats(): { watches: number; relists: number; bookmarks: number } {
    return this.loops.reduce(
      (acc, l) => ({
        watches: acc.watches + l.watches,
        relists: acc.relists + l.relists,
        bookmarks: acc.bookmarks + l.bookmarks,
      }),
      { watches: 0, relists: 0, bookmarks: 0 },
    );
  }

  stop(): void {
    this.stopped = true;
    for (const loop of this.loops) loop.stop();
  }
}

class ScopeLoop {
  synced = false;
  watches = 0;
  relists = 0;
  bookmarks = 0;
  private resourceVersion = '';
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private failures = 0;
  /** The last failure reported in the log; retries that fail the same way stay quiet. */
  private problem: string | undefined;
  private readonly watch: Watch;
  private readonly log: Logger;

  constructor(
    private readonly namespace: string | undefined,
    kubeConfig: KubeConfig,
    private readonly api: CustomObjectsApi,
    private readonly handlers: InformerHandlers,
    private readonly options: InformerOptions,
    private readonly stopped: () => boolean,
    private readonly changed: () => void,
  ) {
    this.watch = new Watch(kubeConfig);
    // client-node's default (30 s) is shorter than the API server's bookmark period. The field
    // is private in its typings but is the only knob Watch offers (watch.js reads it per watch).
    Object.assign(this.watch, {
      requestTimeoutMs: options.watchInactivityMs ?? DEFAULT_WATCH_INACTIVITY_MS,
    });
    this.log = options.logger.child({ component: 'informer', scope: namespace ?? '*' });
  }

  private get path(): string {
    return this.namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
  }

  get state(): ScopeState {
    return { scope: this.namespace ?? '*', synced: this.synced, problem: this.problem };
  }

  /** Resolves after the first list, whether it succeeded or failed. */
  start(): Promise<void> {
    return new Promise((attempted) => {
      void this.run(attempted);
    });
  }

  stop(): void {
    this.abort?.abort();
    this.wake?.();
  }

  private async run(onAttempted: () => void): Promise<void> {
    let needList = true;
    while (!this.stopped()) {
      try {
        if (needList) {
          await this.list();
          needList = false;
          if (!this.synced) {
            this.synced = true;
            this.recovered('scope synced');
            onAttempted();
          } else if (this.problem !== undefined) this.recovered('list recovered');
        }
        await this.watchOnce();
      } catch (error: unknown) {
        onAttempted();
        if (this.stopped()) return;
        if (error instanceof GoneError) {
          this.log.info(
            { resourceVersion: this.resourceVersion },
            'watch history expired (410 Gone); relisting',
          );
          needList = true;
          continue;
        }
        this.failures += 1;
        const delay = this.backoff();
        this.failed(describeKubeError(error), delay);
        await this.sleep(delay);
      }
    }
  }

  /** Logs a failure once per change of reason, not once per retry (which back off to 30 s). */
  private failed(problem: string, retryInMs: number): void {
    if (problem === this.problem) {
      this.log.debug({ err: problem, retryInMs }, 'list or watch failed again; retrying');
      return;
    }
    this.problem = problem;
    this.log.warn(
      { err: problem, retryInMs },
      this.synced ? 'watch failed; retrying' : 'scope not synced; retrying its list',
    );
    this.changed();
  }

  /** Called on the first successful list, and on any success after a logged failure. */
  private recovered(message: string): void {
    const had = this.problem;
    this.problem = undefined;
    this.log.info(had === undefined ? {} : { after: had }, message);
    this.changed();
  }

  private backoff(): number {
    const min = this.options.minBackoffMs ?? 200;
    const max = this.options.maxBackoffMs ?? 30_000;
    return backoffDelay(this.failures, { baseMs: min, maxMs: max, jitter: { below: 0.2, above: 0.2 } });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async list(): Promise<void> {
    const params = { group: GROUP, version: VERSION, plural: PLURAL };
    // Bounded like every other call: a list that hangs would leave the scope unsynced for good.
    const result = (await withDeadline(
      `list of ${this.path}`,
      this.options.listTimeoutMs ?? LIST_TIMEOUT_MS,
      undefined,
      (options) =>
        this.namespace
          ? this.api.listNamespacedCustomObject({ ...params, namespace: this.namespace }, options)
          : this.api.listClusterCustomObject(params, options),
    )) as { items: CheckpointShare[]; metadata?: { resourceVersion?: string } };
    this.relists += 1;
    const seen = new Set<string>();
    for (const item of result.items) {
      seen.add(keyOf(item));
      this.handlers.upsert(item);
    }
    for (const key of this.handlers.keysIn(this.namespace)) if (!seen.has(key)) this.handlers.remove(key);
    this.resourceVersion = result.metadata?.resourceVersion ?? '';
    this.failures = 0;
  }

  /** One watch, from the last resourceVersion; resolves when it ends cleanly, rejects otherwise. */
  private watchOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let events = 0;
      const startedAt = Date.now();
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        this.abort?.abort();
        if (error) reject(error);
        // A watch that ends at once without a single event would otherwise spin: back off.
        else if (events === 0 && Date.now() - startedAt < 1000 && !this.stopped())
          reject(new Error('watch closed at once'));
        else resolve();
      };
      this.watches += 1;
      const timeout = this.options.watchTimeoutSeconds ?? 300;
      this.watch
        .watch(
          this.path,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: Math.round(timeout * (1 + Math.random() * 0.2)),
          },
          (type: string, object: WatchEvent['object']) => {
            if (settled) return;
            events += 1;
            this.failures = 0;
            if (this.problem !== undefined) this.recovered('watch recovered');
            const rv = object.metadata?.resourceVersion;
            switch (type as WatchEvent['type']) {
              case 'ADDED':
              case 'MODIFIED':
                this.handlers.upsert(object as unknown as CheckpointShare);
                break;
              case 'DELETED':
                this.handlers.remove(keyOf(object as unknown as CheckpointShare));
                break;
              case 'BOOKMARK':
                this.bookmarks += 1;
                break;
              case 'ERROR':
                finish(
                  object.code === 410
                    ? new GoneError(object.message)
                    : new Error(`watch error ${object.code}: ${object.message}`),
                );
                return;
            }
            if (rv) this.resourceVersion = rv;
          },
          (error: unknown) => {
            if (this.stopped()) finish();
            else if (isGone(error)) finish(new GoneError());
            else if (error && !isTimeout(error)) finish(error);
            else finish();
          },
        )
        .then((abort) => {
          this.abort = abort;
          if (settled || this.stopped()) abort.abort();
        })
        .catch((error: unknown) => finish(isGone(error) ? new GoneError() : error));
    });
  }
}

function isGone(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 410;
}

/** The client's inactivity timeout: the watch went quiet, so it is simply renewed. */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}
