import { randomBytes } from 'node:crypto';
import { type CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  API_VERSION,
  EVENT_SOURCE,
  type EventReason,
  KIND,
  WARNING_EVENT_REASONS,
} from '../api/constants.js';
import type { CheckpointShare } from '../api/types.js';
import { redactSecrets } from '../observability/logger.js';
import { KUBE_CALL_TIMEOUT_MS, withDeadline } from './deadline.js';

export interface EventRecorder {
  /**
   * Records an Event on the object, within a deadline of its own and sooner once `signal`
   * aborts. Never throws: events are best effort.
   */
  record(share: CheckpointShare, reason: EventReason, message: string, signal?: AbortSignal): Promise<void>;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** An Event's name is a DNS subdomain: at most 253 characters, for any name of the object. */
const MAX_NAME_LENGTH = 253;
/** `.` and 16 hex digits, as client-go's recorder makes them unique. */
const SUFFIX_LENGTH = 17;
/** A repeat of the same event within this window bumps the count instead of creating another. */
const AGGREGATION_WINDOW_MS = 10 * 60_000;

/** core/v1 Events, aggregated like client-go's recorder so a repeated warning does not flood. */
export class KubeEventRecorder implements EventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly api: CoreV1Api,
    private readonly instance: string,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => Date = () => new Date(),
    /** Per HTTP call, response body included. */
    private readonly callTimeoutMs: number = KUBE_CALL_TIMEOUT_MS,
  ) {}

  async record(
    share: CheckpointShare,
    reason: EventReason,
    rawMessage: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const message = redactSecrets(rawMessage).slice(0, 1024);
    const type = WARNING_EVENT_REASONS.has(reason) ? 'Warning' : 'Normal';
    const key = `${share.metadata.uid ?? ''}|${reason}|${message}`;
    const now = this.now();
    const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      const previous = this.seen.get(key);
      if (previous && now.getTime() - previous.at < AGGREGATION_WINDOW_MS) {
        previous.count += 1;
        previous.at = now.getTime();
        // Re-inserted, so the map stays ordered by last use and prune() stops at the first fresh entry.
        this.seen.delete(key);
        this.seen.set(key, previous);
        await withDeadline(
          `event patch of ${previous.namespace}/${previous.name}`,
          this.callTimeoutMs,
          signal,
          (options) =>
            this.api.patchNamespacedEvent(
              {
                name: previous.name,
                namespace: previous.namespace,
                body: { count: previous.count, lastTimestamp: timestamp },
              },
              options,
            ),
          MERGE_PATCH,
        );
        return;
      }
      const name = eventName(share.metadata.name);
      const body = {
        metadata: { name, namespace: share.metadata.namespace },
        involvedObject: {
          apiVersion: API_VERSION,
          kind: KIND,
          name: share.metadata.name,
          namespace: share.metadata.namespace,
          ...(share.metadata.uid ? { uid: share.metadata.uid } : {}),
          ...(share.metadata.resourceVersion ? { resourceVersion: share.metadata.resourceVersion } : {}),
        },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: EVENT_SOURCE },
        reportingComponent: EVENT_SOURCE,
        reportingInstance: this.instance,
      };
      await withDeadline(
        `event create in ${share.metadata.namespace}`,
        this.callTimeoutMs,
        signal,
        (options) => this.api.createNamespacedEvent({ namespace: share.metadata.namespace, body }, options),
      );
      this.seen.set(key, { name, namespace: share.metadata.namespace, count: 1, at: now.getTime() });
      this.prune(now.getTime());
    } catch (error: unknown) {
      this.seen.delete(key);
      this.onError(error);
    }
  }

  /**
   * Drops entries past the aggregation window. The map is ordered by last use, so this visits
   * only what it drops and one more: each event costs O(1) amortised, not a scan of every entry.
   */
  private prune(now: number): void {
    for (const [key, seen] of this.seen) {
      if (now - seen.at <= AGGREGATION_WINDOW_MS) return;
      this.seen.delete(key);
    }
  }

  /** Entries kept for aggregation, for tests. */
  get remembered(): number {
    return this.seen.size;
  }
}

/** The object's name, trimmed to leave room for the suffix; a label may not end in - or . */
function eventName(objectName: string): string {
  const prefix = objectName.slice(0, MAX_NAME_LENGTH - SUFFIX_LENGTH).replace(/[-.]+$/, '');
  return `${prefix}.${randomBytes(8).toString('hex')}`;
}
