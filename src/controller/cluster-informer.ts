import type { ConfigurationOptions, KubeConfig } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node';
import { backoffDelay } from '../flow/backoff.js';
import { describeKubeError } from '../kube/client.js';
import { withDeadline } from '../kube/deadline.js';
import type { Logger } from '../observability/logger.js';
import { DEFAULT_WATCH_INACTIVITY_MS } from './share-informer.js';

/** The part of a cluster-scoped object the loop reads. */
export interface Named {
  metadata?: { name?: string; resourceVersion?: string };
}

export interface ClusterInformerOptions<T extends Named> {
  /** What the loop watches, for logs and /readyz: "CheckpointSharePolicies", "Namespaces". */
  what: string;
  /** The watch path of the cluster-scoped collection. */
  path: string;
  list(options: ConfigurationOptions): Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  upsert(object: T): void;
  remove(name: string): void;
  /** Names currently known, so a relist can report what vanished meanwhile. */
  known(): string[];
  logger: Logger;
  watchTimeoutSeconds?: number;
  watchInactivityMs?: number;
  listTimeoutMs?: number;
}

const LIST_TIMEOUT_MS = 2 * 60_000;

class GoneError extends Error {}

/**
 * A list-and-watch loop for one cluster-scoped collection (the policies, the namespaces) that
 * never stops silently: every end of a watch leads to exactly one successor, a resumed watch or
 * a relist after 410 Gone, and failures back off. Kept small beside ShareInformer, whose
 * per-namespace scopes these collections do not have.
 */
export class ClusterInformer<T extends Named> {
  synced = false;
  /** Why the collection is not synced, or why its watch keeps failing. */
  problem: string | undefined;
  private stopped = false;
  private resourceVersion = '';
  private failures = 0;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private readonly watch: Watch;
  private readonly log: Logger;
  private readonly syncedOnce: Promise<void>;
  private markSynced: () => void = () => undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: ClusterInformerOptions<T>,
  ) {
    this.watch = new Watch(kubeConfig);
    Object.assign(this.watch, { requestTimeoutMs: options.watchInactivityMs ?? DEFAULT_WATCH_INACTIVITY_MS });
    this.log = options.logger.child({ component: 'informer', collection: options.what });
    this.syncedOnce = new Promise((resolve) => {
      this.markSynced = resolve;
    });
  }

  get what(): string {
    return this.options.what;
  }

  /** Starts the loop; resolves once the first list succeeded (it retries until it does). */
  start(): Promise<void> {
    void this.run();
    return this.syncedOnce;
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    this.markSynced();
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.list();
          needList = false;
          if (!this.synced) {
            this.synced = true;
            this.log.info({}, 'synced');
            this.markSynced();
          }
          this.problem = undefined;
        }
        await this.watchOnce();
      } catch (error: unknown) {
        if (this.stopped) return;
        if (error instanceof GoneError) {
          needList = true;
          continue;
        }
        this.failures += 1;
        const delay = backoffDelay(this.failures, {
          baseMs: 200,
          maxMs: 30_000,
          jitter: { below: 0.2, above: 0.2 },
        });
        const problem = describeKubeError(error);
        if (problem !== this.problem)
          this.log.warn({ err: problem, retryInMs: delay }, 'list or watch failed; retrying');
        this.problem = problem;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  private async list(): Promise<void> {
    const result = await withDeadline(
      `list of ${this.options.path}`,
      this.options.listTimeoutMs ?? LIST_TIMEOUT_MS,
      undefined,
      (options) => this.options.list(options),
    );
    const seen = new Set<string>();
    for (const item of result.items) {
      seen.add(item.metadata?.name ?? '');
      this.options.upsert(item);
    }
    for (const name of this.options.known()) if (!seen.has(name)) this.options.remove(name);
    this.resourceVersion = result.metadata?.resourceVersion ?? '';
    this.failures = 0;
  }

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
        else if (events === 0 && Date.now() - startedAt < 1000 && !this.stopped)
          reject(new Error('watch closed at once'));
        else resolve();
      };
      const timeout = this.options.watchTimeoutSeconds ?? 300;
      this.watch
        .watch(
          this.options.path,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: Math.round(timeout * (1 + Math.random() * 0.2)),
          },
          (type: string, object: T & { code?: number; message?: string }) => {
            if (settled) return;
            events += 1;
            this.failures = 0;
            if (type === 'ADDED' || type === 'MODIFIED') this.options.upsert(object);
            else if (type === 'DELETED') this.options.remove(object.metadata?.name ?? '');
            else if (type === 'ERROR') {
              finish(
                object.code === 410
                  ? new GoneError(object.message)
                  : new Error(`watch error ${object.code}: ${object.message}`),
              );
              return;
            }
            const rv = object.metadata?.resourceVersion;
            if (rv) this.resourceVersion = rv;
          },
          (error: unknown) => {
            if (this.stopped) finish();
            else if (isGone(error)) finish(new GoneError());
            else if (error && !(error instanceof Error && error.name === 'TimeoutError')) finish(error);
            else finish();
          },
        )
        .then((abort) => {
          this.abort = abort;
          if (settled || this.stopped) abort.abort();
        })
        .catch((error: unknown) => finish(isGone(error) ? new GoneError() : error));
    });
  }
}

function isGone(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 410;
}
