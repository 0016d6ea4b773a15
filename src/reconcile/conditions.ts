import { ConditionType } from '../api/constants.js';
import type { Condition, ConditionStatus } from '../api/types.js';

export interface ConditionSpec {
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** The three kstatus conditions for one object; each pass sets all three. */
export interface ConditionSet {
  ready: ConditionSpec;
  reconciling: ConditionSpec;
  stalled: ConditionSpec;
}

/**
 * Merges freshly computed conditions into the existing ones. lastTransitionTime changes only
 * when a condition's status does, so a pass that changes nothing produces an identical list.
 */
export function mergeConditions(
  existing: readonly Condition[] | undefined,
  next: ConditionSet,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const entries: [ConditionType, ConditionSpec][] = [
    [ConditionType.Ready, next.ready],
    [ConditionType.Reconciling, next.reconciling],
    [ConditionType.Stalled, next.stalled],
  ];
  return entries.map(([type, spec]) => {
    const previous = existing?.find((c) => c.type === type);
    const condition: Condition = {
      type,
      status: spec.status,
      lastTransitionTime:
        previous && previous.status === spec.status
          ? previous.lastTransitionTime
          : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reason: spec.reason,
      message: spec.message,
    };
    if (generation !== undefined) condition.observedGeneration = generation;
    return condition;
  });
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export const isTrue = (conditions: readonly Condition[] | undefined, type: ConditionType): boolean =>
  findCondition(conditions, type)?.status === 'True';
