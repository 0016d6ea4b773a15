import { API_VERSION, DEFAULT_DELETION_POLICY, DEFAULT_MODE, KIND } from '../../../src/api/constants.js';
import type { CheckpointShare } from '../../../src/api/types.js';
import { Random } from '../../soak/random.js';

/** The project that fine-tuned every benchmark checkpoint; it is never granted. */
export const OWNER = 'proj_owner';
/** The organisation's projects the shares pick from. */
const PROJECTS = 400;
const NAMESPACES = 20;
const MIN_PROJECTS = 1;
const MAX_PROJECTS = 5;

export interface FleetShape {
  shares: number;
  checkpoints: number;
  seed: number;
}

/** The shares a benchmark run creates before the operator starts, and what they add up to. */
export interface Fleet {
  checkpoints: string[];
  namespaces: string[];
  shares: CheckpointShare[];
  /** Per checkpoint, the projects its shares want (the owner never among them). */
  wanted: Map<string, Set<string>>;
}

/**
 * The metadata a GitOps tool's apply leaves on a real cluster, which the stand-in does not add
 * by itself: the instance label, kubectl's last-applied-configuration (the manifest again) and
 * the field manager's managedFields entry. An operator that caches whole objects pays for these.
 */
function appliedByGitOps(name: string, namespace: string, checkpoint: string, projectIds: readonly string[]) {
  const manifest = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace },
    spec: { checkpoint, projectIds },
  };
  return {
    labels: { 'app.kubernetes.io/instance': namespace },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(manifest)}\n` },
    managedFields: [
      {
        apiVersion: API_VERSION,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': {
            'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
            'f:labels': { '.': {}, 'f:app.kubernetes.io/instance': {} },
          },
          'f:spec': { '.': {}, 'f:checkpoint': {}, 'f:projectIds': {} },
        },
        manager: 'argocd-controller',
        operation: 'Update',
        time: '2026-01-01T00:00:00Z',
      },
    ],
  };
}

export function checkpointId(index: number): string {
  return `ft:gpt-4o-mini-2024-07-18:acme:bench-${index}:Sc${index.toString(36)}`;
}

/**
 * Deterministic for a shape: every checkpoint gets at least one share (the first `checkpoints`
 * shares go round the checkpoints), the rest land at random, so most checkpoints carry several
 * shares whose project lists overlap; each share names 1-5 projects.
 */
export function buildFleet({ shares, checkpoints, seed }: FleetShape): Fleet {
  if (!Number.isInteger(shares) || !Number.isInteger(checkpoints) || checkpoints < 1 || shares < checkpoints)
    throw new Error(`need whole numbers with 1 <= checkpoints <= shares, got ${shares} / ${checkpoints}`);
  const random = new Random(seed);
  const ids = Array.from({ length: checkpoints }, (_, i) => checkpointId(i));
  const projects = Array.from({ length: PROJECTS }, (_, i) => `proj_bench${i}`);
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${String(i).padStart(2, '0')}`);
  const wanted = new Map(ids.map((id) => [id, new Set<string>()]));
  const fleet: CheckpointShare[] = [];
  for (let i = 0; i < shares; i += 1) {
    const checkpoint = i < checkpoints ? (ids[i] as string) : (random.pick(ids) as string);
    const projectIds = random.shuffle(projects).slice(0, random.int(MIN_PROJECTS, MAX_PROJECTS)).sort();
    for (const project of projectIds) wanted.get(checkpoint)?.add(project);
    const name = `share-${i}`;
    const namespace = namespaces[i % NAMESPACES] as string;
    fleet.push({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace, ...appliedByGitOps(name, namespace, checkpoint, projectIds) },
      // What the API server's CRD defaults would fill in: the shares are stored directly.
      spec: {
        checkpoint,
        projectIds,
        mode: DEFAULT_MODE,
        deletionPolicy: DEFAULT_DELETION_POLICY,
        suspend: false,
      },
    });
  }
  return { checkpoints: ids, namespaces, shares: fleet, wanted };
}

/**
 * The fewest OpenAI calls that can converge the fleet from nothing granted: one list page per
 * checkpoint (each starts empty) and one create per checkpoint that wants any project, since
 * one create call grants a whole batch of projects.
 */
export function callFloor(fleet: Fleet): {
  lists: number;
  creates: number;
  total: number;
  permissions: number;
} {
  const creates = [...fleet.wanted.values()].filter((projects) => projects.size > 0).length;
  const permissions = [...fleet.wanted.values()].reduce((sum, projects) => sum + projects.size, 0);
  return { lists: fleet.checkpoints.length, creates, total: fleet.checkpoints.length + creates, permissions };
}
