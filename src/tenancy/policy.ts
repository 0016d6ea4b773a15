import { DEFAULT_POLICY_MODES } from '../api/constants.js';
import type { CheckpointSharePolicy } from '../api/policy-types.js';
import type { CheckpointShare, Mode } from '../api/types.js';
import { anyMatches, compileGlob, type Glob } from './glob.js';
import { compileSelector, type Labels, type Selector } from './label-selector.js';

/** A policy ready to be asked: its globs and selector compiled once per spec. */
export interface CompiledPolicy {
  name: string;
  /** Undefined when the spec cannot be used: such a policy applies to nothing. */
  selects: Selector | undefined;
  /** Why the spec cannot be used, for the policy's Ready condition. */
  problem: string | undefined;
  checkpoints: readonly Glob[];
  checkpointPatterns: readonly string[];
  projects: readonly Glob[];
  modes: readonly Mode[];
}

export function compilePolicy(policy: CheckpointSharePolicy): CompiledPolicy {
  const spec = policy.spec;
  const selector = compileSelector(spec.namespaceSelector);
  const checkpoints = spec.checkpoints ?? [];
  const projects = spec.projects ?? [];
  const problem =
    selector.problem ??
    (checkpoints.length === 0 ? 'spec.checkpoints: at least one glob is required' : undefined) ??
    (projects.length === 0 ? 'spec.projects: at least one glob is required' : undefined);
  return {
    name: policy.metadata.name,
    selects: problem === undefined && selector.problem === undefined ? selector.selector : undefined,
    problem,
    checkpoints: checkpoints.map(compileGlob),
    checkpointPatterns: checkpoints,
    projects: projects.map(compileGlob),
    modes: spec.modes && spec.modes.length > 0 ? spec.modes : [...DEFAULT_POLICY_MODES],
  };
}

/** A policy applies to a share when it selects the share's namespace and matches its checkpoint. */
export function applies(policy: CompiledPolicy, namespaceLabels: Labels, checkpoint: string): boolean {
  return policy.selects?.(namespaceLabels) === true && anyMatches(policy.checkpoints, checkpoint);
}

/** Whether a policy's checkpoint globs could concern this checkpoint (selector aside). */
export function concerns(policy: CompiledPolicy, checkpoint: string): boolean {
  return anyMatches(policy.checkpoints, checkpoint);
}

/**
 * What the policies decide about one share. `projects` replaces spec.projectIds in every rule of
 * the semantics; `allows` says the same of any project id (a record the share holds, say).
 */
export interface Verdict {
  /** At least one policy applies and spec.mode is among their modes. */
  permitted: boolean;
  /** spec.projectIds that are permitted, in spec order; empty when the share is refused. */
  projects: readonly string[];
  /** spec.projectIds that are refused; every one of them when the share is refused. */
  refusedProjects: readonly string[];
  /** What was refused and why, naming the checkpoint, mode or projects; undefined when nothing was. */
  refusal: string | undefined;
  allows(projectId: string): boolean;
}

const quoteList = (items: readonly string[]) => items.join(', ');

/**
 * The rules of "Tenancy" in docs/design.md for one share in a namespace with these labels.
 * Pure: the same policies, labels and spec give the same verdict.
 */
export function judge(
  share: CheckpointShare,
  namespaceLabels: Labels,
  policies: readonly CompiledPolicy[],
): Verdict {
  const namespace = share.metadata.namespace;
  const checkpoint = share.spec.checkpoint;
  const requested = share.spec.projectIds ?? [];
  const applying = policies.filter((p) => applies(p, namespaceLabels, checkpoint));
  const refuse = (refusal: string): Verdict => ({
    permitted: false,
    projects: [],
    refusedProjects: [...requested],
    refusal,
    allows: () => false,
  });
  if (applying.length === 0) {
    return refuse(
      `no CheckpointSharePolicy lets namespace ${namespace} share checkpoint ${checkpoint}; nothing is granted, adopted or protected for this share`,
    );
  }
  const names = quoteList(applying.map((p) => p.name).sort());
  const modes = new Set(applying.flatMap((p) => p.modes));
  if (!modes.has(share.spec.mode)) {
    return refuse(
      `mode ${share.spec.mode} is not allowed for namespace ${namespace} on checkpoint ${checkpoint} (policies ${names} allow ${quoteList([...modes].sort())}); nothing is granted, adopted or protected for this share`,
    );
  }
  const globs = applying.flatMap((p) => p.projects);
  const allows = (projectId: string) => anyMatches(globs, projectId);
  const projects = requested.filter(allows);
  const refusedProjects = requested.filter((p) => !allows(p));
  return {
    permitted: true,
    projects,
    refusedProjects,
    refusal:
      refusedProjects.length === 0
        ? undefined
        : `project${refusedProjects.length === 1 ? '' : 's'} ${quoteList(refusedProjects)} ${refusedProjects.length === 1 ? 'is' : 'are'} not allowed for namespace ${namespace} on checkpoint ${checkpoint} by policies ${names}; ${refusedProjects.length === 1 ? 'it is' : 'they are'} never granted`,
    allows,
  };
}

/**
 * The share as the planner must see it: spec.projectIds replaced by the permitted projects, and
 * a refused share neither Authoritative nor suspended (a refused share protects nothing, so its
 * suspension cannot shield what it recorded). The same object when nothing is refused.
 */
export function effectiveShare(share: CheckpointShare, verdict: Verdict): CheckpointShare {
  if (verdict.permitted && verdict.refusedProjects.length === 0) return share;
  const spec = verdict.permitted
    ? { ...share.spec, projectIds: [...verdict.projects] }
    : { ...share.spec, projectIds: [], mode: 'Managed' as const, suspend: false };
  return { ...share, spec };
}
