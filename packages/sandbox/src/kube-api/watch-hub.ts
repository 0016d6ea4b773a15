/**
 * Watches as the API server's watch cache serves them: a stream of JSON lines
 * (`{"type":"ADDED","object":{...}}`), resumable from any resourceVersion still in a bounded
 * history, 410 Expired (as an ERROR event, then the stream ends) for one that is not, periodic
 * BOOKMARKs when asked for, and selectors applied the way the cacher applies them: an object
 * that stops matching is DELETED from the watcher's view, one that starts matching is ADDED.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceType } from './resources/index.js';
import { apiVersionOf } from './resources/index.js';
import { matchesFilter, type ObjectFilter } from './selectors.js';
import { expired } from './status.js';
import type { Change, ObjectStore } from './store.js';
import type { KubeObject } from './types.js';

export interface WatchRequest extends ObjectFilter {
  rt: ResourceType;
  /** Resume after this revision; undefined starts with the current state as ADDED events. */
  resourceVersion: number | undefined;
  allowBookmarks: boolean;
  /** The watch-list protocol: current state first, then a bookmark marking its end. */
  sendInitialEvents: boolean;
  timeoutSeconds: number | undefined;
  /** How objects in ADDED/MODIFIED/DELETED events are written (a Table row for kubectl get -w). */
  render?: (obj: KubeObject) => unknown;
}

export interface WatchHubOptions {
  historySize: number;
  bookmarkIntervalMs: number;
}

interface Watcher {
  request: WatchRequest;
  req: IncomingMessage;
  res: ServerResponse;
  timers: NodeJS.Timeout[];
}

export class WatchHub {
  private history: Change[] = [];
  /** The oldest revision a watch may resume from; older ones get 410. */
  private oldest = 0;
  private readonly watchers = new Set<Watcher>();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: WatchHubOptions,
  ) {
    store.onChange((change) => this.publish(change));
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  /** The revision a watch must resume from or after to be served. */
  get oldestResumableVersion(): number {
    return this.oldest;
  }

  serve(req: IncomingMessage, res: ServerResponse, request: WatchRequest): void {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    const rv = request.resourceVersion;
    if (rv !== undefined && !request.sendInitialEvents && rv < this.oldest) {
      const status = expired(`too old resource version: ${rv} (${this.oldest})`).toStatus();
      res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      return;
    }
    const watcher: Watcher = { request, req, res, timers: [] };
    if (rv === undefined || request.sendInitialEvents) {
      for (const stored of this.store.list(request.rt.storage, request.namespace)) {
        const obj = present(request.rt, stored);
        if (matches(request, obj)) send(watcher, 'ADDED', obj);
      }
      if (request.sendInitialEvents && request.allowBookmarks) {
        send(watcher, 'BOOKMARK', this.bookmark(request.rt, { 'k8s.io/initial-events-end': 'true' }));
      }
    } else {
      for (const change of this.history) {
        if (change.revision > rv) this.deliver(watcher, change);
      }
    }
    this.watchers.add(watcher);
    if (request.allowBookmarks && this.options.bookmarkIntervalMs > 0) {
      watcher.timers.push(
        setInterval(
          () => send(watcher, 'BOOKMARK', this.bookmark(request.rt)),
          this.options.bookmarkIntervalMs,
        ),
      );
    }
    if (request.timeoutSeconds !== undefined) {
      watcher.timers.push(setTimeout(() => res.end(), request.timeoutSeconds * 1000));
    }
    const forget = (): void => this.forget(watcher);
    res.on('close', forget);
    req.on('close', forget);
  }

  /** Forgets every change up to now: any watch resuming from before this moment gets 410. */
  expireHistory(): void {
    this.history = [];
    this.oldest = this.store.resourceVersion;
  }

  /** Cuts every open watch without a clean end, as a lost connection or a crashed server would. */
  dropAll(): number {
    const count = this.watchers.size;
    for (const watcher of [...this.watchers]) {
      this.forget(watcher);
      watcher.req.socket.destroy();
    }
    return count;
  }

  /** Ends every open watch cleanly (the stream completes), as a server shutting down does. */
  closeAll(): void {
    for (const watcher of [...this.watchers]) {
      this.forget(watcher);
      watcher.res.end();
    }
  }

  private forget(watcher: Watcher): void {
    for (const timer of watcher.timers) clearTimeout(timer);
    watcher.timers = [];
    this.watchers.delete(watcher);
  }

  private publish(change: Change): void {
    this.history.push(change);
    while (this.history.length > this.options.historySize) {
      const dropped = this.history.shift();
      if (dropped) this.oldest = dropped.revision;
    }
    for (const watcher of this.watchers) this.deliver(watcher, change);
  }

  private deliver(watcher: Watcher, change: Change): void {
    const { request } = watcher;
    if (change.storage !== request.rt.storage) return;
    const obj = present(request.rt, change.object);
    const now = matches(request, obj);
    if (change.type === 'DELETED') {
      if (now) send(watcher, 'DELETED', obj);
      return;
    }
    const before = change.previous !== undefined && matches(request, present(request.rt, change.previous));
    if (now && before) send(watcher, 'MODIFIED', obj);
    else if (now) send(watcher, 'ADDED', obj);
    else if (before) send(watcher, 'DELETED', obj);
  }

  private bookmark(rt: ResourceType, annotations?: Record<string, string>): KubeObject {
    return {
      kind: rt.kind,
      apiVersion: apiVersionOf(rt),
      metadata: {
        resourceVersion: String(this.store.resourceVersion),
        creationTimestamp: null,
        ...(annotations ? { annotations } : {}),
      },
    };
  }
}

function present(rt: ResourceType, stored: KubeObject): KubeObject {
  return rt.fromStorage(structuredClone(stored));
}

function matches(request: WatchRequest, obj: KubeObject): boolean {
  return matchesFilter(request, request.rt.fieldLabels, obj);
}

function send(watcher: Watcher, type: string, object: KubeObject): void {
  if (watcher.res.writableEnded || watcher.res.destroyed) return;
  const { render } = watcher.request;
  const body = render && type !== 'BOOKMARK' ? render(object) : object;
  watcher.res.write(`${JSON.stringify({ type, object: body })}\n`);
}
