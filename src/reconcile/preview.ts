import { handsOff, authoritative as isAuthoritative } from './hands-off.js';
import { type CheckpointView, deriveSets, plan, roleOf } from './plan.js';
import { homeOf, keyOf, managedOf, projectsOf } from './share-facts.js';

/** One project's fate on a checkpoint, with the objects behind it. */
export interface PreviewLine {
  projectId: string;
  /** Object keys (namespace/name) that want, recorded or protect it. */
  objects: string[];
  /** Why, in a few words: for revocations and what is left alone. */
  why?: string;
  /** The permission a revocation deletes. */
  permissionId?: string;
}

/** What the next pass on one checkpoint would do, for a reviewer: `checkpoint-share plan`. */
export interface CheckpointPreview {
  checkpoint: string;
  /** False when OpenAI does not know the checkpoint: the shares would stall CheckpointNotFound. */
  exists: boolean;
  grant: PreviewLine[];
  adopt: PreviewLine[];
  revoke: PreviewLine[];
  /** Listed permissions the pass would not touch, and why. */
  keep: PreviewLine[];
}

/**
 * The controller's own planner on a view, told as a reviewer needs it: what would be granted and
 * for whom, what would be adopted, what revoked and why, what is left alone. No second
 * implementation of the rules: every decision comes from plan() and deriveSets().
 */
export function preview(view: CheckpointView): CheckpointPreview {
  const { checkpoint } = view;
  if (view.listed === undefined)
    return { checkpoint, exists: false, grant: [], adopt: [], revoke: [], keep: [] };
  const work = plan(view);
  const sets = deriveSets(view);
  const wanting = new Map<string, string[]>();
  const recording = new Map<string, string[]>();
  const protecting = new Map<string, string[]>();
  const authoritative: string[] = [];
  const add = (map: Map<string, string[]>, project: string, key: string) =>
    map.set(project, [...(map.get(project) ?? []), key]);
  for (const share of view.shares) {
    const role = roleOf(share, checkpoint);
    if (!role) continue;
    const key = keyOf(share);
    if (role !== 'deleting' && share.spec.checkpoint === checkpoint) {
      for (const p of projectsOf(share)) add(wanting, p, key);
      if (isAuthoritative(share)) authoritative.push(key);
    }
    if (homeOf(share) === checkpoint) for (const p of managedOf(share)) add(recording, p, key);
    if (handsOff(share)) for (const p of projectsOf(share)) add(protecting, p, key);
  }

  const grant = work.grant.map((projectId) => ({ projectId, objects: wanting.get(projectId) ?? [] }));
  const adopt = [...work.adopt].flatMap(([key, projects]) =>
    projects.map((projectId) => ({ projectId, objects: [key] })),
  );
  const revoked = new Set(work.revoke.map((p) => p.id));
  const adopted = new Set(adopt.map((l) => l.projectId));
  const revoke = work.revoke.map((perm) => {
    const recordedBy = recording.get(perm.projectId) ?? [];
    return {
      projectId: perm.projectId,
      permissionId: perm.id,
      objects: recordedBy.length > 0 ? recordedBy : authoritative,
      why:
        recordedBy.length > 0
          ? 'recorded, no longer wanted'
          : 'not wanted, and the checkpoint is Authoritative',
    };
  });
  const keep = [
    ...new Set(
      view.listed.filter((p) => !revoked.has(p.id) && !adopted.has(p.projectId)).map((p) => p.projectId),
    ),
  ]
    .sort()
    .flatMap((projectId): PreviewLine[] => {
      if (sets.protected.has(projectId))
        return [
          {
            projectId,
            objects: protecting.get(projectId) ?? recording.get(projectId) ?? [],
            why: 'protected (suspended or Orphan)',
          },
        ];
      if (sets.desired.has(projectId))
        return [{ projectId, objects: wanting.get(projectId) ?? [], why: 'wanted, already granted' }];
      return [{ projectId, objects: [], why: 'granted outside any share (Managed leaves it alone)' }];
    });
  return { checkpoint, exists: true, grant, adopt, revoke, keep };
}
