import type { CoreV1Api, CustomObjectsApi, KubeConfig, V1Namespace } from '@kubernetes/client-node';
import { GROUP, POLICY_PLURAL, VERSION } from '../api/constants.js';
import type { CheckpointSharePolicy } from '../api/policy-types.js';
import type { CheckpointShare } from '../api/types.js';
import type { Logger } from '../observability/logger.js';
import { checkpointsOf } from '../reconcile/share-facts.js';
import type { CompiledPolicy, Verdict } from '../tenancy/policy.js';
import { ClusterInformer } from './cluster-informer.js';
import type { ShareCache } from './share-cache.js';
import { TenancyCache, type Touches } from './tenancy-cache.js';
import type { WorkQueue } from './work-queue.js';

export interface TenancyWatchDeps {
  kubeConfig: KubeConfig;
  customObjects: CustomObjectsApi;
  core: CoreV1Api;
  shares: ShareCache;
  queue: WorkQueue;
  /** False on a standby: caches stay warm, no work is queued and no status is written. */
  active: () => boolean;
  /** Writes a policy's Ready condition (the leader only). */
  reportPolicy: (policy: CheckpointSharePolicy, compiled: CompiledPolicy) => Promise<void>;
  logger: Logger;
}

/**
 * SHARE_POLICY=enforce: watches every CheckpointSharePolicy and every namespace's labels, answers
 * the verdict on a share from them, and queues at once every checkpoint whose shares a change may
 * re-decide (no waiting for a drift interval).
 */
export class TenancyWatch {
  private readonly cache = new TenancyCache();
  private readonly raw = new Map<string, CheckpointSharePolicy>();
  private readonly policies: ClusterInformer<CheckpointSharePolicy>;
  private readonly namespaces: ClusterInformer<V1Namespace>;

  constructor(private readonly deps: TenancyWatchDeps) {
    this.policies = new ClusterInformer<CheckpointSharePolicy>(deps.kubeConfig, {
      what: 'CheckpointSharePolicies',
      path: `/apis/${GROUP}/${VERSION}/${POLICY_PLURAL}`,
      list: async (options) =>
        (await deps.customObjects.listClusterCustomObject(
          { group: GROUP, version: VERSION, plural: POLICY_PLURAL },
          options,
        )) as { items: CheckpointSharePolicy[]; metadata?: { resourceVersion?: string } },
      upsert: (policy) => {
        this.raw.set(policy.metadata.name, policy);
        this.queueTouched(this.cache.upsertPolicy(policy));
        this.report(policy);
      },
      remove: (name) => {
        this.raw.delete(name);
        this.queueTouched(this.cache.removePolicy(name));
      },
      known: () => this.cache.policyNames(),
      logger: deps.logger,
    });
    this.namespaces = new ClusterInformer<V1Namespace>(deps.kubeConfig, {
      what: 'Namespaces',
      path: '/api/v1/namespaces',
      list: (options) => deps.core.listNamespace({}, options),
      upsert: (ns) =>
        this.queueTouched(this.cache.upsertNamespace(ns.metadata?.name ?? '', ns.metadata?.labels ?? {})),
      remove: (name) => this.queueTouched(this.cache.removeNamespace(name)),
      known: () => this.cache.namespaceNames(),
      logger: deps.logger,
    });
  }

  /** Resolves once both collections were listed: no verdict is asked before that. */
  async start(): Promise<void> {
    await Promise.all([this.policies.start(), this.namespaces.start()]);
  }

  stop(): void {
    this.policies.stop();
    this.namespaces.stop();
  }

  verdict(share: CheckpointShare): Verdict {
    return this.cache.verdict(share);
  }

  /** Lines for /readyz: what is not synced yet, and why. */
  unready(): string[] {
    return [this.policies, this.namespaces]
      .filter((informer) => !informer.synced)
      .map((informer) => `${informer.what} not synced: ${informer.problem ?? 'first list in progress'}`);
  }

  /** On becoming leader: every policy's status, as a new leader owes them. */
  reportAll(): void {
    for (const policy of this.raw.values()) this.report(policy);
  }

  private report(policy: CheckpointSharePolicy): void {
    const compiled = this.cache.policy(policy.metadata.name);
    if (!this.deps.active() || !compiled) return;
    void this.deps.reportPolicy(policy, compiled);
  }

  private queueTouched(touches: Touches | undefined): void {
    if (!touches || !this.deps.active()) return;
    const { shares, queue } = this.deps;
    for (const key of shares.keys()) {
      const share = shares.get(key);
      if (share && touches(share)) for (const checkpoint of checkpointsOf(share)) queue.add(checkpoint);
    }
  }
}
