import { Random } from '../../soak/random.js';
import type { DriftFleet } from './fleet.js';
import type { Organisation } from './organisation.js';

/** A change a person makes in the dashboard, and how to tell the operator put it right. */
export interface HandChange {
  /** Simulated time into the measured hour. */
  atMs: number;
  what: string;
  checkpoint: string;
  /** Makes the change; returns the test that the organisation is back as the shares want it. */
  apply(organisation: Organisation): () => boolean;
}

const minutes = (m: number, s: number) => (m * 60 + s) * 1000;

/** The kinds of change, in the order they happen; times avoid lining up with the 30 s polls. */
const SCHEDULE: Array<{ atMs: number; kind: Kind; authoritative: boolean }> = [
  { atMs: minutes(4, 7), kind: 'revoke-one', authoritative: false },
  { atMs: minutes(11, 31), kind: 'grant-unwanted', authoritative: true },
  { atMs: minutes(19, 2), kind: 'revoke-all', authoritative: false },
  { atMs: minutes(27, 45), kind: 'revoke-one', authoritative: true },
  { atMs: minutes(36, 13), kind: 'grant-and-revoke', authoritative: true },
  { atMs: minutes(43, 58), kind: 'grant-unwanted', authoritative: true },
];

type Kind = 'revoke-one' | 'revoke-all' | 'grant-unwanted' | 'grant-and-revoke';

const WHAT: Record<Kind, string> = {
  'revoke-one': 'revoke a granted permission',
  'revoke-all': 'revoke every permission of a checkpoint',
  'grant-unwanted': 'grant an unwanted project',
  'grant-and-revoke': 'grant an unwanted project, revoke a wanted one',
};

function revoke(organisation: Organisation, checkpoint: string, projectId: string): void {
  const permission = organisation.permissions(checkpoint).find((p) => p.projectId === projectId);
  if (!permission) throw new Error(`${checkpoint} holds no permission for ${projectId} to revoke by hand`);
  organisation.delete(checkpoint, permission.id, 'hand');
}

/**
 * Six changes made by hand over the first 44 minutes of the hour, so that list-based drift
 * (every 10 minutes) repairs each within the hour too, each on its own checkpoint: revocations
 * on Managed and Authoritative checkpoints, a whole checkpoint emptied, unwanted projects granted
 * where an Authoritative share makes them drift.
 */
export function handChanges(fleet: DriftFleet, seed: number): HandChange[] {
  const random = new Random(seed ^ 0x5eed);
  const used = new Set<string>();
  const pick = (authoritative: boolean, minProjects: number): string => {
    const candidates = fleet.checkpoints.filter(
      (c) =>
        !used.has(c) &&
        fleet.authoritative.has(c) === authoritative &&
        (fleet.wanted.get(c)?.size ?? 0) >= minProjects,
    );
    const checkpoint = random.pick(candidates);
    if (checkpoint === undefined) throw new Error('the fleet is too small for the hand-made changes');
    used.add(checkpoint);
    return checkpoint;
  };
  return SCHEDULE.map(({ atMs, kind, authoritative }, index) => {
    const checkpoint = pick(authoritative, kind === 'revoke-all' ? 2 : 1);
    const wanted = [...(fleet.wanted.get(checkpoint) ?? [])].sort();
    const victim = random.pick(wanted) as string;
    const intruder = `proj_by_hand${index}`;
    return {
      atMs,
      what: WHAT[kind],
      checkpoint,
      apply(organisation) {
        const has = (project: string) => organisation.projects(checkpoint).has(project);
        switch (kind) {
          case 'revoke-one':
            revoke(organisation, checkpoint, victim);
            return () => has(victim);
          case 'revoke-all':
            for (const project of wanted) revoke(organisation, checkpoint, project);
            return () => wanted.every(has);
          case 'grant-unwanted':
            organisation.create(checkpoint, [intruder], 'hand');
            return () => !has(intruder);
          case 'grant-and-revoke':
            organisation.create(checkpoint, [intruder], 'hand');
            revoke(organisation, checkpoint, victim);
            return () => !has(intruder) && has(victim);
        }
      },
    };
  });
}
