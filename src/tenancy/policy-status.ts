import { ConditionReason, ConditionType } from '../api/constants.js';
import type { CheckpointSharePolicy, CheckpointSharePolicyStatus } from '../api/policy-types.js';
import type { Condition } from '../api/types.js';
import type { CompiledPolicy } from './policy.js';

/**
 * A policy's status: Ready=True when its spec can be used, False with InvalidPolicy and what to
 * fix when it cannot (it then selects no namespace, so it permits nothing). lastTransitionTime
 * changes only with the condition's status, so an unchanged policy gets an identical status.
 */
export function policyStatus(
  policy: CheckpointSharePolicy,
  compiled: CompiledPolicy,
  now: Date,
): CheckpointSharePolicyStatus {
  const previous = policy.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  const usable = compiled.problem === undefined;
  const status = usable ? 'True' : 'False';
  const ready: Condition = {
    type: ConditionType.Ready,
    status,
    lastTransitionTime:
      previous?.status === status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    reason: usable ? ConditionReason.PolicyAccepted : ConditionReason.InvalidPolicy,
    message: usable
      ? `in force: ${compiled.checkpointPatterns.length} checkpoint glob(s), ${policy.spec.projects.length} project glob(s), modes ${compiled.modes.join(', ')}`
      : `${compiled.problem}; until it is fixed this policy permits nothing`,
  };
  if (policy.metadata.generation !== undefined) ready.observedGeneration = policy.metadata.generation;
  return {
    ...(policy.metadata.generation === undefined ? {} : { observedGeneration: policy.metadata.generation }),
    conditions: [ready],
  };
}
