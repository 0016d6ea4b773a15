import type { OpenAIStandIn } from '@checkpoint-share/sandbox/openai-api';
import { FINALIZER } from '../../src/api/constants.js';
import type { CheckpointShare } from '../../src/api/types.js';

/** What the driver believes about one share it made: the truth the end state is checked against. */
export interface IntendedShare {
  namespace: string;
  name: string;
  checkpoint: string;
  projectIds: string[];
  suspended: boolean;
  /** The driver asked for its deletion: it must be gone. */
  deleted: boolean;
}

export const keyOf = (s: { namespace: string; name: string }): string => `${s.namespace}/${s.name}`;

/**
 * Every way the world differs from what the shares ask for, one sentence each naming the
 * checkpoint, project or share at fault; empty when the end state is exact. Suspended shares
 * protect whatever is granted, so the settle resumes them all first and this check expects none.
 */
export function inexactness(
  intended: readonly IntendedShare[],
  stored: readonly CheckpointShare[],
  openai: OpenAIStandIn,
): string[] {
  return [...permissionProblems(intended, openai), ...shareProblems(intended, stored)];
}

function permissionProblems(intended: readonly IntendedShare[], openai: OpenAIStandIn): string[] {
  const problems: string[] = [];
  for (const { id: checkpoint, owner } of openai.store.checkpoints()) {
    const wantedBy = new Map<string, string[]>();
    for (const share of intended) {
      if (share.deleted || share.checkpoint !== checkpoint) continue;
      if (share.suspended) problems.push(`${keyOf(share)} is still suspended: the settle must resume it`);
      for (const project of share.projectIds)
        wantedBy.set(project, [...(wantedBy.get(project) ?? []), keyOf(share)]);
    }
    // The owner never holds a permission: OpenAI refuses to grant the owning project.
    wantedBy.delete(owner);
    const held = new Map<string, number>();
    for (const permission of openai.store.permissions(checkpoint)) {
      held.set(permission.projectId, (held.get(permission.projectId) ?? 0) + 1);
    }
    for (const [project, shares] of wantedBy) {
      if (!held.has(project))
        problems.push(`${checkpoint}: ${project} is not granted (wanted by ${shares.join(', ')})`);
    }
    for (const [project, count] of held) {
      if (count > 1)
        problems.push(`${checkpoint}: ${project} is granted ${count} times (duplicate permissions)`);
      if (!wantedBy.has(project))
        problems.push(`${checkpoint}: ${project} is granted but no live share wants it`);
    }
  }
  return problems;
}

function shareProblems(intended: readonly IntendedShare[], stored: readonly CheckpointShare[]): string[] {
  const problems: string[] = [];
  const byKey = new Map(stored.map((s) => [keyOf(s.metadata), s]));
  const known = new Set(intended.map(keyOf));
  for (const share of stored) {
    if (!known.has(keyOf(share.metadata)))
      problems.push(`${keyOf(share.metadata)} exists but the driver never made it`);
  }
  for (const want of intended) {
    const key = keyOf(want);
    const share = byKey.get(key);
    if (want.deleted) {
      if (share) {
        const finalizers = share.metadata.finalizers?.join(', ') || 'none';
        problems.push(`${key} was deleted but is still there (finalizers: ${finalizers})`);
      }
      continue;
    }
    if (!share) {
      problems.push(`${key} is gone but was never deleted`);
      continue;
    }
    problems.push(...liveShareProblems(key, want, share));
  }
  return problems;
}

function liveShareProblems(key: string, want: IntendedShare, share: CheckpointShare): string[] {
  const problems: string[] = [];
  const { metadata, spec, status } = share;
  if (metadata.deletionTimestamp) problems.push(`${key} is being deleted but the driver never deleted it`);
  if (!metadata.finalizers?.includes(FINALIZER)) problems.push(`${key} has no ${FINALIZER} finalizer`);
  if (spec.checkpoint !== want.checkpoint || spec.suspend !== want.suspended) {
    problems.push(
      `${key} spec is not what the driver wrote (checkpoint ${spec.checkpoint}, suspend ${spec.suspend})`,
    );
  }
  if (status?.observedGeneration !== metadata.generation) {
    problems.push(
      `${key} observedGeneration ${status?.observedGeneration} is not generation ${metadata.generation}`,
    );
  }
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') {
    problems.push(
      `${key} is not Ready (${ready ? `${ready.status}, ${ready.reason}: ${ready.message}` : 'no Ready condition'})`,
    );
  } else if (ready.observedGeneration !== metadata.generation) {
    problems.push(`${key} Ready is about generation ${ready.observedGeneration}, not ${metadata.generation}`);
  }
  if (status?.checkpoint !== spec.checkpoint) {
    problems.push(`${key} status.checkpoint ${status?.checkpoint} is not spec.checkpoint ${spec.checkpoint}`);
  }
  const desired = new Set(spec.projectIds).size;
  if (status?.desiredCount !== desired || status.grantedCount !== desired) {
    problems.push(
      `${key} grantedCount ${status?.grantedCount} / desiredCount ${status?.desiredCount}, wants ${desired} (${spec.projectIds.join(', ')})`,
    );
  }
  return problems;
}
