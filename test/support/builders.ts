import { API_VERSION, FINALIZER, KIND, POLICY_KIND } from '../../src/api/constants.js';
import type { CheckpointSharePolicy, CheckpointSharePolicySpec } from '../../src/api/policy-types.js';
import type { CheckpointShare, CheckpointShareSpec, GrantFailure } from '../../src/api/types.js';
import type { Permission } from '../../src/openai/permissions.js';

export const K = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';
export const K2 = 'ft:gpt-4o-mini-2024-07-18:acme:weather:C8S0WkRe';

/** A fluent CheckpointShare fixture: share('a').on(K).projects('proj_a').managing('proj_a').build(). */
export class ShareBuilder {
  private readonly obj: CheckpointShare;

  constructor(name: string) {
    this.obj = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name,
        namespace: 'ml',
        uid: `uid-${name}`,
        generation: 1,
        resourceVersion: '1',
        finalizers: [FINALIZER],
      },
      spec: { checkpoint: K, projectIds: [], mode: 'Managed', deletionPolicy: 'Revoke', suspend: false },
    };
  }

  on(checkpoint: string): this {
    this.obj.spec.checkpoint = checkpoint;
    return this;
  }

  projects(...ids: string[]): this {
    this.obj.spec.projectIds = ids;
    return this;
  }

  with(spec: Partial<CheckpointShareSpec>): this {
    Object.assign(this.obj.spec, spec);
    return this;
  }

  authoritative(): this {
    return this.with({ mode: 'Authoritative' });
  }

  suspended(): this {
    return this.with({ suspend: true });
  }

  orphan(): this {
    return this.with({ deletionPolicy: 'Orphan' });
  }

  /** Status records grants on this checkpoint (defaults to spec.checkpoint). */
  managing(...ids: string[]): this {
    this.obj.status = {
      ...this.obj.status,
      checkpoint: this.obj.status?.checkpoint ?? this.obj.spec.checkpoint,
      managedProjects: ids,
    };
    return this;
  }

  annotated(annotations: Record<string, string>): this {
    this.obj.metadata.annotations = { ...this.obj.metadata.annotations, ...annotations };
    return this;
  }

  home(checkpoint: string): this {
    this.obj.status = { ...this.obj.status, checkpoint };
    return this;
  }

  failing(...failures: GrantFailure[]): this {
    this.obj.status = { ...this.obj.status, failures };
    return this;
  }

  fresh(): this {
    delete this.obj.status;
    this.obj.metadata.finalizers = [];
    return this;
  }

  in(namespace: string): this {
    this.obj.metadata.namespace = namespace;
    return this;
  }

  deleting(): this {
    this.obj.metadata.deletionTimestamp = '2026-11-29T08:00:00Z';
    return this;
  }

  build(): CheckpointShare {
    return structuredClone(this.obj);
  }
}

export const share = (name = 'a') => new ShareBuilder(name);

let sequence = 0;
export function perm(projectId: string, id?: string, createdAt = 1_700_000_000): Permission {
  sequence += 1;
  return { id: id ?? `cp_${projectId}_${sequence}`, projectId, createdAt };
}

/** A CheckpointSharePolicy fixture: team-a's namespaces (team=a) may share K with proj_a* under Managed. */
export function policy(
  spec: Partial<CheckpointSharePolicySpec> = {},
  { name = 'team-a', status }: { name?: string; status?: CheckpointSharePolicy['status'] } = {},
): CheckpointSharePolicy {
  return {
    apiVersion: API_VERSION,
    kind: POLICY_KIND,
    metadata: { name },
    spec: {
      namespaceSelector: { matchLabels: { team: 'a' } },
      checkpoints: [K],
      projects: ['proj_a*'],
      modes: ['Managed'],
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}
