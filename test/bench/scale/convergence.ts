import type { KubeObject, KubeStandIn } from '@checkpoint-share/sandbox/kube-api';
import type { OpenAIStandIn } from '@checkpoint-share/sandbox/openai-api';
import { CRD_NAME } from '../../../src/api/constants.js';
import type { CheckpointShareStatus } from '../../../src/api/types.js';
import type { Fleet } from './fleet.js';

function isReady(share: KubeObject): boolean {
  const status = share.status as CheckpointShareStatus | undefined;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && status?.observedGeneration === share.metadata.generation;
}

/** Every way OpenAI's permissions differ from what the fleet wants, one line each. */
export function permissionProblems(fleet: Fleet, openai: OpenAIStandIn, limit = 20): string[] {
  const problems: string[] = [];
  for (const [checkpoint, wanted] of fleet.wanted) {
    const held = new Map<string, number>();
    for (const p of openai.store.permissions(checkpoint))
      held.set(p.projectId, (held.get(p.projectId) ?? 0) + 1);
    for (const project of wanted)
      if (!held.has(project)) problems.push(`${checkpoint}: ${project} not granted`);
    for (const [project, count] of held) {
      if (count > 1) problems.push(`${checkpoint}: ${project} granted ${count} times`);
      if (!wanted.has(project)) problems.push(`${checkpoint}: ${project} granted but not wanted`);
    }
    if (problems.length >= limit) break;
  }
  return problems.slice(0, limit);
}

/** What still keeps OpenAI from holding exactly the wanted permissions, at most `limit` lines. */
export type PermissionCheck = (limit: number) => Promise<string[]>;

/**
 * Converged: every share Ready for its generation, and OpenAI holding exactly the wanted
 * permissions (each wanted project once, nothing else). Readiness is kept from the store's
 * change feed, so a check costs a walk of the permissions only once every share is Ready.
 */
export class ConvergenceWatch {
  private readonly ready = new Set<string>();
  private readonly stopFeed: () => void;
  /** When the state was first found converged, in ms since the epoch. */
  convergedAt: number | undefined;

  constructor(
    kube: KubeStandIn,
    private readonly permissions: PermissionCheck,
    private readonly fleet: Fleet,
  ) {
    this.stopFeed = kube.store.onChange((change) => {
      if (change.resource !== CRD_NAME) return;
      const key = `${change.object.metadata.namespace}/${change.object.metadata.name}`;
      if (change.type !== 'DELETED' && isReady(change.object)) this.ready.add(key);
      else this.ready.delete(key);
    });
  }

  get readyShares(): number {
    return this.ready.size;
  }

  /** Looks once; records the first time (`now`, before OpenAI is asked) the state is converged. */
  async check(now = Date.now()): Promise<boolean> {
    if (this.ready.size < this.fleet.shares.length) return false;
    if ((await this.permissions(1)).length > 0) return false;
    this.convergedAt ??= now;
    return true;
  }

  async problems(): Promise<string[]> {
    const notReady = this.fleet.shares.length - this.ready.size;
    return [
      ...(notReady > 0 ? [`${notReady} of ${this.fleet.shares.length} shares not Ready`] : []),
      ...(await this.permissions(20)),
    ];
  }

  stop(): void {
    this.stopFeed();
  }
}
