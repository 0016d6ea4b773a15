import { buildFleet, type Fleet } from '../scale/fleet.js';

/** One checkpoint in this many has an Authoritative share: a project granted by hand there is drift. */
const AUTHORITATIVE_EVERY = 4;

export interface DriftFleet extends Fleet {
  /** Checkpoints with an Authoritative share: the operator revokes what no share asks for. */
  authoritative: Set<string>;
}

/**
 * The scale benchmark's fleet (every checkpoint has at least one share, each share names 1-5
 * projects), with the first share of every fourth checkpoint made Authoritative.
 */
export function buildDriftFleet(shape: { checkpoints: number; shares: number; seed: number }): DriftFleet {
  const fleet = buildFleet(shape);
  const authoritative = new Set<string>();
  for (const [index, checkpoint] of fleet.checkpoints.entries()) {
    if (index % AUTHORITATIVE_EVERY !== 0) continue;
    authoritative.add(checkpoint);
    // buildFleet hands the first `checkpoints` shares to the checkpoints in order.
    const share = fleet.shares[index];
    if (share) share.spec.mode = 'Authoritative';
  }
  return { ...fleet, authoritative };
}
