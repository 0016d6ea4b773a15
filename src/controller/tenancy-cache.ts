import { isDeepStrictEqual } from 'node:util';
import type { CheckpointSharePolicy } from '../api/policy-types.js';
import type { CheckpointShare } from '../api/types.js';
import { checkpointsOf } from '../reconcile/share-facts.js';
import { type CompiledPolicy, compilePolicy, concerns, judge, type Verdict } from '../tenancy/policy.js';

/** Which shares a change may re-decide: their checkpoints are queued at once. */
export type Touches = (share: CheckpointShare) => boolean;

/**
 * What enforce mode knows of the cluster: every CheckpointSharePolicy (compiled once per spec)
 * and every namespace's labels, as the informers last delivered them. Answers the verdict for a
 * share, and for each change which shares it may re-decide.
 */
export class TenancyCache {
  private readonly policies = new Map<string, { spec: unknown; compiled: CompiledPolicy }>();
  private readonly namespaces = new Map<string, Readonly<Record<string, string>>>();
  private ordered: CompiledPolicy[] = [];

  verdict(share: CheckpointShare): Verdict {
    return judge(share, this.namespaces.get(share.metadata.namespace) ?? {}, this.ordered);
  }

  policy(name: string): CompiledPolicy | undefined {
    return this.policies.get(name)?.compiled;
  }

  policyNames(): string[] {
    return [...this.policies.keys()];
  }

  namespaceNames(): string[] {
    return [...this.namespaces.keys()];
  }

  /** Undefined when the spec did not change (a status write, a label on the policy). */
  upsertPolicy(policy: CheckpointSharePolicy): Touches | undefined {
    const name = policy.metadata.name;
    const before = this.policies.get(name);
    if (before && isDeepStrictEqual(before.spec, policy.spec)) return undefined;
    const compiled = compilePolicy(policy);
    this.policies.set(name, { spec: structuredClone(policy.spec), compiled });
    this.reorder();
    return touchedBy([before?.compiled, compiled]);
  }

  removePolicy(name: string): Touches | undefined {
    const before = this.policies.get(name);
    if (!before) return undefined;
    this.policies.delete(name);
    this.reorder();
    return touchedBy([before.compiled]);
  }

  /** Undefined when the labels did not change. */
  upsertNamespace(name: string, labels: Readonly<Record<string, string>>): Touches | undefined {
    const before = this.namespaces.get(name);
    if (before && isDeepStrictEqual(before, labels)) return undefined;
    this.namespaces.set(name, { ...labels });
    return (share) => share.metadata.namespace === name;
  }

  removeNamespace(name: string): Touches | undefined {
    if (!this.namespaces.delete(name)) return undefined;
    return (share) => share.metadata.namespace === name;
  }

  private reorder(): void {
    this.ordered = [...this.policies.values()].map((p) => p.compiled);
  }
}

/** A policy change may re-decide every share on a checkpoint its old or new globs match. */
function touchedBy(policies: readonly (CompiledPolicy | undefined)[]): Touches {
  const present = policies.filter((p): p is CompiledPolicy => p !== undefined);
  return (share) => checkpointsOf(share).some((checkpoint) => present.some((p) => concerns(p, checkpoint)));
}
