import {
  type ConfigurationOptions,
  type CoordinationV1Api,
  type V1Lease,
  V1MicroTime,
} from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { describeKubeError, kubeStatus } from './client.js';
import { withDeadline } from './deadline.js';

/** The Lease calls the elector makes (the whole CoordinationV1Api in production). */
/** Thrown before a write when this replica cannot be sure it still holds the lease. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

export type LeaseApi = Pick<
  CoordinationV1Api,
  'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'
>;

export interface LeaderElectionOptions {
  api: LeaseApi;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  /** controller-runtime's defaults: 15 s lease, 10 s renew deadline, 2 s retry period. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/**
 * Lease-based leader election as client-go does it. A candidate takes the Lease only once the
 * holder's record has not changed for a whole lease duration, measured on the candidate's own
 * clock (so clock skew between pods does not matter). The leader renews every retry period;
 * if it cannot renew within the renew deadline it reports the loss at once, before another
 * replica can take over, so two leaders never act together. Time is read only through
 * Date.now() and setTimeout (one clock), so tests drive it with fake timers.
 */
export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { record: string; at: number } | undefined;
  /** The holder seen on the last read of the Lease ('' when none). */
  private observedHolder = '';
  private leading = false;
  private stopped = false;
  /**
   * When the last successful acquire or renewal STARTED (Date.now()): the lease runs from the
   * moment the request may have reached the API server, not from when its answer came back.
   */
  private renewedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Whether this replica may still write: it leads and renewed within the renew deadline. A
   * process that stalled (GC pause, blocked event loop) past it must not act on the strength
   * of timers it has not yet run, because a standby may already hold the lease.
   */
  holds(): boolean {
    return this.leading && !this.stopped && Date.now() - this.renewedAt < this.renewDeadlineMs;
  }

  /**
   * Campaigns until this replica leads (resolves true) or stop() is called (resolves false),
   * then keeps renewing in the background; onLost is called once if leadership is lost.
   */
  async acquire(onLost: (reason: string) => void): Promise<boolean> {
    const log = this.options.logger.child({
      component: 'leader-election',
      lease: `${this.options.namespace}/${this.options.name}`,
    });
    let announcedHolder: string | undefined;
    while (!this.stopped) {
      const attemptAt = Date.now();
      if (await this.tryAcquireOrRenew(log)) {
        // stop() may have run while the request was in flight: give the lease back at once
        // rather than leave it held by a process that is exiting.
        if (this.stopped) {
          this.leading = true;
          await this.release();
          return false;
        }
        this.leading = true;
        this.renewedAt = attemptAt;
        log.info({ identity: this.options.identity }, 'became leader');
        void this.renewLoop(onLost, log);
        return true;
      }
      // Once per holder, so an operator reading the log of a quiet standby knows why it is quiet.
      const holder = this.observedHolder;
      if (holder !== '' && holder !== this.options.identity && holder !== announcedHolder) {
        announcedHolder = holder;
        log.info({ identity: this.options.identity, holder }, 'standing by: another replica holds the lease');
      }
      await this.sleep(this.retryPeriodMs * (1 + Math.random() * 0.2));
    }
    return false;
  }

  private async renewLoop(onLost: (reason: string) => void, log: Logger): Promise<void> {
    while (!this.stopped && this.leading) {
      // After failed tries, wake at the deadline rather than past it, so the loss is reported on time.
      await this.sleep(
        Math.min(this.retryPeriodMs, Math.max(0, this.renewedAt + this.renewDeadlineMs - Date.now())),
      );
      if (this.stopped || !this.leading) return;
      const attemptAt = Date.now();
      // A stall (GC pause, blocked event loop) may have outlasted the renew deadline before this
      // loop ran again: holds() has fenced writes off since, and a standby may take over soon.
      if (attemptAt - this.renewedAt < this.renewDeadlineMs) {
        const renewed = await this.withDeadline(
          this.tryAcquireOrRenew(log),
          this.renewDeadlineMs - (attemptAt - this.renewedAt),
        );
        if (this.stopped || !this.leading) return;
        if (renewed) {
          this.renewedAt = attemptAt;
          continue;
        }
        if (Date.now() - this.renewedAt < this.renewDeadlineMs) continue;
      }
      this.leading = false;
      log.error({ identity: this.options.identity }, 'lost leadership: could not renew the lease in time');
      onLost('lease not renewed within the renew deadline');
      return;
    }
  }

  /** Gives the lease up so a standby takes over at once instead of after the lease expires. */
  async release(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.bounded('lease read', (o) =>
        this.options.api.readNamespacedLease(
          { name: this.options.name, namespace: this.options.namespace },
          o,
        ),
      );
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      const now = new V1MicroTime(Date.now());
      await this.bounded('lease release', (o) =>
        this.options.api.replaceNamespacedLease(
          {
            name: this.options.name,
            namespace: this.options.namespace,
            body: {
              ...lease,
              spec: {
                ...lease.spec,
                holderIdentity: '',
                leaseDurationSeconds: 1,
                renewTime: now,
                acquireTime: now,
              },
            },
          },
          o,
        ),
      );
    } catch (error: unknown) {
      this.options.logger.warn({ error: describeKubeError(error) }, 'could not release the lease');
    }
  }

  stop(): void {
    this.stopped = true;
    this.leading = false;
    this.wake?.();
  }

  private async tryAcquireOrRenew(log: Logger): Promise<boolean> {
    const { api, namespace, name, identity } = this.options;
    const now = new V1MicroTime(Date.now());
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await this.bounded('lease read', (o) => api.readNamespacedLease({ name, namespace }, o));
    } catch (error: unknown) {
      this.observedHolder = '';
      if (kubeStatus(error) !== 404) {
        log.warn({ error: describeKubeError(error) }, 'could not read the lease');
        return false;
      }
      try {
        await this.bounded('lease create', (o) =>
          api.createNamespacedLease(
            {
              namespace,
              body: {
                metadata: { name, namespace },
                spec: {
                  holderIdentity: identity,
                  leaseDurationSeconds: durationSeconds,
                  acquireTime: now,
                  renewTime: now,
                  leaseTransitions: 0,
                },
              },
            },
            o,
          ),
        );
        return true;
      } catch (createError: unknown) {
        log.debug({ error: describeKubeError(createError) }, 'lost the race to create the lease');
        return false;
      }
    }
    const spec = lease.spec ?? {};
    this.observedHolder = spec.holderIdentity ?? '';
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== identity;
    const leaseMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (heldByOther && Date.now() - this.observed.at < leaseMs) return false;
    const takeover = holder !== identity;
    try {
      await this.bounded('lease update', (o) =>
        api.replaceNamespacedLease(
          {
            name,
            namespace,
            body: {
              ...lease,
              spec: {
                ...spec,
                holderIdentity: identity,
                leaseDurationSeconds: durationSeconds,
                renewTime: now,
                ...(takeover ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
              },
            },
          },
          o,
        ),
      );
      return true;
    } catch (error: unknown) {
      log.debug({ error: describeKubeError(error) }, 'could not update the lease');
      return false;
    }
  }

  /**
   * One Lease call, cut off at the renew deadline: no single call can usefully take longer, and a
   * request that hangs (a stalled proxy, a half-open connection) must not stall a standby's
   * campaign or a leader's renewals for good.
   */
  private bounded<T>(what: string, call: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
    return withDeadline(what, this.renewDeadlineMs, undefined, call);
  }

  /** undefined when the deadline passed first. */
  private async withDeadline(work: Promise<boolean>, ms: number): Promise<boolean | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    });
    const result = await Promise.race([work, deadline]);
    clearTimeout(timer);
    return result;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(this.timer);
        resolve();
      };
    });
  }
}
