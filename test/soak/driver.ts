import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../src/api/constants.js';
import type { CheckpointShareSpec } from '../../src/api/types.js';
import { type IntendedShare, keyOf } from './exact-state.js';
import type { Random } from './random.js';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const CPS = { group: GROUP, version: VERSION, plural: PLURAL } as const;

export const OPERATIONS = ['create', 'edit', 'move', 'suspend', 'resume', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface DriverOptions {
  api: CustomObjectsApi;
  random: Random;
  namespaces: readonly string[];
  checkpoints: readonly string[];
  projects: readonly string[];
  /** Live shares the driver keeps between; it creates below the floor and stops creating at the ceiling. */
  minLive: number;
  maxLive: number;
}

/**
 * Churns CheckpointShares the way teams and GitOps do: creates, edits of projectIds, moves to
 * another checkpoint, suspends and resumes, deletes; one operation at a time, and remembers
 * what it asked for so the end state can be checked against it.
 */
export class ShareDriver {
  readonly done: Record<Operation, number> = {
    create: 0,
    edit: 0,
    move: 0,
    suspend: 0,
    resume: 0,
    delete: 0,
  };
  readonly errors: string[] = [];
  private readonly shares = new Map<string, IntendedShare>();
  private sequence = 0;

  constructor(private readonly options: DriverOptions) {}

  intended(): IntendedShare[] {
    return [...this.shares.values()].map((s) => ({ ...s, projectIds: [...s.projectIds] }));
  }

  private live(): IntendedShare[] {
    return [...this.shares.values()].filter((s) => !s.deleted);
  }

  /** Picks an operation that fits the current population and carries it out. */
  async step(): Promise<void> {
    const live = this.live();
    const { random, minLive, maxLive } = this.options;
    if (live.length < minLive) return this.create();
    const suspended = live.filter((s) => s.suspended);
    const weighted: [Operation, number][] = [
      ['create', live.length < maxLive ? 3 : 0],
      ['edit', 3],
      ['move', 1.5],
      ['suspend', suspended.length < 4 ? 1 : 0],
      ['resume', suspended.length > 0 ? 1.5 : 0],
      ['delete', 2.5],
    ];
    const operation = random.weighted(weighted);
    if (operation === 'create') return this.create();
    const active = live.filter((s) => !s.suspended);
    // A suspended share is not deleted: by design its deletion leaves its grants (as Flux skips
    // pruning for a suspended Kustomization), which an exact end state could not tell apart
    // from a leak.
    const pool =
      operation === 'resume' ? suspended : operation === 'suspend' || operation === 'delete' ? active : live;
    const share = random.pick(pool);
    if (!share) return this.create();
    await this.attempt(operation, share, () => this.carryOut(operation, share));
  }

  /** Resumes every suspended share, so the end state protects nothing. */
  async resumeAll(): Promise<void> {
    for (const share of this.live().filter((s) => s.suspended)) {
      await this.attempt('resume', share, () => this.carryOut('resume', share));
    }
  }

  private async create(): Promise<void> {
    const { random, namespaces, checkpoints } = this.options;
    this.sequence += 1;
    const share: IntendedShare = {
      namespace: random.pick(namespaces) ?? 'default',
      name: `share-${this.sequence}`,
      checkpoint: random.pick(checkpoints) ?? '',
      projectIds: this.someProjects(),
      suspended: false,
      deleted: false,
    };
    await this.attempt('create', share, async () => {
      await this.options.api.createNamespacedCustomObject({
        ...CPS,
        namespace: share.namespace,
        body: {
          apiVersion: API_VERSION,
          kind: KIND,
          metadata: { name: share.name, namespace: share.namespace },
          spec: { checkpoint: share.checkpoint, projectIds: share.projectIds },
        },
      });
      this.shares.set(keyOf(share), share);
    });
  }

  private async carryOut(operation: Exclude<Operation, 'create'>, share: IntendedShare): Promise<void> {
    const { api, random, checkpoints } = this.options;
    switch (operation) {
      case 'edit': {
        const projectIds = this.someProjects();
        await this.patch(share, { projectIds });
        share.projectIds = projectIds;
        return;
      }
      case 'move': {
        const checkpoint = random.pick(checkpoints.filter((c) => c !== share.checkpoint)) ?? share.checkpoint;
        await this.patch(share, { checkpoint });
        share.checkpoint = checkpoint;
        return;
      }
      case 'suspend':
      case 'resume': {
        const suspend = operation === 'suspend';
        await this.patch(share, { suspend });
        share.suspended = suspend;
        return;
      }
      case 'delete':
        await api.deleteNamespacedCustomObject({ ...CPS, namespace: share.namespace, name: share.name });
        share.deleted = true;
        return;
    }
  }

  private async patch(share: IntendedShare, spec: Partial<CheckpointShareSpec>): Promise<void> {
    await this.options.api.patchNamespacedCustomObject(
      { ...CPS, namespace: share.namespace, name: share.name, body: { spec } },
      MERGE_PATCH,
    );
  }

  /** 0 to 4 distinct projects: an empty list is a valid share that grants nothing. */
  private someProjects(): string[] {
    const { random, projects } = this.options;
    const count = random.int(0, 4);
    return random.shuffle(projects).slice(0, count).sort();
  }

  /** The model changes only when the API accepted the request; a refused one is recorded. */
  private async attempt(
    operation: Operation,
    share: IntendedShare,
    call: () => Promise<void>,
  ): Promise<void> {
    try {
      await call();
      this.done[operation] += 1;
    } catch (error: unknown) {
      this.errors.push(
        `${operation} ${keyOf(share)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
