import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubeStandIn, startKubeStandIn } from '@checkpoint-share/sandbox/kube-api';
import { type OpenAIStandIn, startOpenAIStandIn } from '@checkpoint-share/sandbox/openai-api';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Role,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../src/api/constants.js';
import type { CheckpointShare, CheckpointShareSpec } from '../../src/api/types.js';
import { only, renderKustomization } from './deploy-manifests.js';
import { OperatorProcess } from './operator-process.js';
import { waitFor } from './wait.js';

export const NS = 'ml';
export const CKPT = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';
export const CKPT2 = 'ft:gpt-4o-mini-2024-07-18:acme:weather:C8S0WkRe';
export const OWNER = 'proj_owner';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface EnvOptions {
  checkpoints?: string[];
  bookmarkIntervalMs?: number;
  /** The one key the OpenAI stand-in accepts (must start with sk-admin-); default generated. */
  adminKey?: string;
}

/**
 * Both stand-ins in this process, a kubeconfig for them, and the real operator binary as a
 * child process: the operator talks to them over HTTP exactly as it would to a cluster and
 * to OpenAI. With E2E_KUBECONFIG set, a real cluster (with the CRD installed) takes the
 * Kubernetes stand-in's place, and each test works in a namespace of its own. The tests act
 * through E2E_KUBECONFIG; the operator runs with E2E_OPERATOR_KUBECONFIG when set (deploy/'s
 * ServiceAccount, so deploy/'s RBAC is what authorises it), else with the same one.
 */
export class Env {
  readonly operators: OperatorProcess[] = [];
  private constructor(
    private readonly standIn: KubeStandIn | undefined,
    readonly openai: OpenAIStandIn,
    readonly kubeconfig: string,
    readonly api: CustomObjectsApi,
    readonly core: CoreV1Api,
    readonly namespace: string,
    private readonly dir: string,
    private readonly operatorKubeconfig: string,
    private readonly coordination: CoordinationV1Api,
  ) {}

  /** The Kubernetes stand-in, for tests that inspect or fault it (not on a real cluster). */
  get kube(): KubeStandIn {
    if (!this.standIn)
      throw new Error('this test needs the Kubernetes stand-in; it cannot run with E2E_KUBECONFIG');
    return this.standIn;
  }

  get onRealCluster(): boolean {
    return this.standIn === undefined;
  }

  static async start(options: EnvOptions = {}): Promise<Env> {
    const dir = mkdtempSync(join(tmpdir(), 'cps-e2e-'));
    const openai = await startOpenAIStandIn({
      checkpoints: (options.checkpoints ?? [CKPT, CKPT2]).map((id) => ({ id, owner: OWNER })),
      ...(options.adminKey === undefined ? {} : { adminKey: options.adminKey }),
    });
    const cluster = process.env.E2E_KUBECONFIG;
    // A bearer token is required, as on a real cluster: the operator must send the kubeconfig's.
    const kube = cluster
      ? undefined
      : await startKubeStandIn({
          port: 0,
          bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
          token: randomBytes(16).toString('hex'),
        });
    const kubeconfig = cluster ?? join(dir, 'kubeconfig');
    await kube?.writeKubeconfig(kubeconfig);
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    const core = config.makeApiClient(CoreV1Api);
    const namespace = cluster ? `cps-e2e-${randomBytes(4).toString('hex')}` : NS;
    if (cluster) await core.createNamespace({ body: { metadata: { name: namespace } } });
    const operatorIdentity = process.env.E2E_OPERATOR_KUBECONFIG;
    if (cluster && operatorIdentity) await grantLeaseIn(config, namespace);
    return new Env(
      kube,
      openai,
      kubeconfig,
      config.makeApiClient(CustomObjectsApi),
      core,
      namespace,
      dir,
      operatorIdentity ?? kubeconfig,
      config.makeApiClient(CoordinationV1Api),
    );
  }

  /**
   * Starts `checkpoint-share run` against the stand-ins with production's leader election (on,
   * Lease in this test's namespace); settings can be overridden (LEADER_ELECTION=false for a
   * single unelected process).
   */
  startOperator(env: Record<string, string> = {}): OperatorProcess {
    const operator = new OperatorProcess(['run'], {
      KUBECONFIG: this.operatorKubeconfig,
      OPENAI_BASE_URL: this.openai.baseURL,
      OPENAI_ADMIN_KEY: this.openai.adminKey,
      POD_NAMESPACE: this.namespace,
      HTTP_PORT: '0',
      RESYNC_INTERVAL: '1m',
      OPENAI_MAX_RPS: '50',
      LOG_LEVEL: 'info',
      // On a shared cluster the operator must only see this test's objects.
      ...(this.onRealCluster ? { WATCH_NAMESPACES: this.namespace } : {}),
      ...env,
    });
    this.operators.push(operator);
    return operator;
  }

  async create(name: string, spec: Partial<CheckpointShareSpec>): Promise<CheckpointShare> {
    const body = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace: this.namespace },
      spec: { checkpoint: CKPT, ...spec },
    };
    return (await this.api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: this.namespace,
      body,
    })) as CheckpointShare;
  }

  async patchSpec(name: string, spec: Partial<CheckpointShareSpec>): Promise<CheckpointShare> {
    return (await this.api.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, namespace: this.namespace, name, body: { spec } },
      MERGE_PATCH,
    )) as CheckpointShare;
  }

  /** Waits until the operator has listed the checkpoint n more times (n drift checks). */
  async driftChecks(n: number, checkpoint = CKPT): Promise<void> {
    const lists = () =>
      this.openai.requests().filter((r) => r.operation === 'list' && r.checkpoint === checkpoint).length;
    const start = lists();
    await waitFor(`${n} drift checks of ${checkpoint}`, () => lists() >= start + n, { timeoutMs: 20_000 });
  }

  /** A merge patch of annotations: null removes one. */
  async annotate(name: string, annotations: Record<string, string | null>): Promise<CheckpointShare> {
    return (await this.api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: this.namespace,
        name,
        body: { metadata: { annotations } },
      },
      MERGE_PATCH,
    )) as CheckpointShare;
  }

  async delete(name: string): Promise<void> {
    await this.api.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: this.namespace,
      name,
    });
  }

  async get(name: string): Promise<CheckpointShare | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: this.namespace,
        name,
      })) as CheckpointShare;
    } catch (error: unknown) {
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === 404)
        return undefined;
      throw error;
    }
  }

  async events(name: string): Promise<{ reason: string; type: string; message: string; count: number }[]> {
    const list = await this.core.listNamespacedEvent({ namespace: this.namespace });
    return list.items
      .filter((e) => e.involvedObject.name === name)
      .map((e) => ({
        reason: e.reason ?? '',
        type: e.type ?? '',
        message: e.message ?? '',
        count: e.count ?? 1,
      }));
  }

  /** Project ids holding a permission on the checkpoint, sorted (duplicates kept). */
  granted(checkpoint = CKPT): string[] {
    return this.openai.store
      .permissions(checkpoint)
      .map((p) => p.projectId)
      .sort();
  }

  /**
   * A Lease's spec as the API serves it (times as RFC 3339 strings), from the stand-in's store
   * or, on a real cluster, read through the API; undefined while there is none.
   */
  async lease(namespace: string, name: string): Promise<{ spec?: Record<string, unknown> } | undefined> {
    if (this.standIn)
      return this.standIn.store.get('leases', namespace, name) as { spec?: Record<string, unknown> };
    try {
      const lease = await this.coordination.readNamespacedLease({ namespace, name });
      // client-node turns MicroTimes into Dates; the tests compare the served strings.
      const spec = Object.fromEntries(
        Object.entries(lease.spec ?? {}).map(([key, value]) => [
          key,
          value instanceof Date ? value.toISOString() : value,
        ]),
      );
      return { spec };
    } catch (error: unknown) {
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === 404)
        return undefined;
      throw error;
    }
  }

  /** Waits until the object's status reflects its generation and the condition holds. */
  async waitForCondition(
    name: string,
    type: string,
    status: string,
    reason?: string,
    timeoutMs = 30_000,
  ): Promise<CheckpointShare> {
    return waitFor(
      `${name} ${type}=${status}${reason ? ` (${reason})` : ''}`,
      async () => {
        const share = await this.get(name);
        const condition = share?.status?.conditions?.find((c) => c.type === type);
        const current = share?.status?.observedGeneration === share?.metadata.generation;
        return share && current && condition?.status === status && (!reason || condition.reason === reason)
          ? share
          : undefined;
      },
      { timeoutMs },
    );
  }

  waitForReady(name: string, timeoutMs?: number): Promise<CheckpointShare> {
    return this.waitForCondition(name, 'Ready', 'True', undefined, timeoutMs);
  }

  async waitForGone(name: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(`${name} to be deleted`, async () => (await this.get(name)) === undefined, { timeoutMs });
  }

  /** With the operator stopped, nothing would remove finalizers: drop them, then the namespace. */
  private async removeNamespace(): Promise<void> {
    const list = (await this.api.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: this.namespace,
    })) as { items: CheckpointShare[] };
    for (const item of list.items) {
      await this.api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace: this.namespace,
          name: item.metadata.name,
          body: { metadata: { finalizers: null } },
        },
        MERGE_PATCH,
      );
    }
    try {
      await this.core.deleteNamespace({ name: this.namespace });
    } catch (error: unknown) {
      // Cleanup only: a namespace left behind costs nothing but tidiness (the local stand-in
      // refuses namespace deletion with 405).
      console.warn(
        `could not delete namespace ${this.namespace}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.operators.map((o) => o.stop()));
    if (this.onRealCluster) await this.removeNamespace();
    await this.standIn?.close();
    await this.openai.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The operator elects its leader in POD_NAMESPACE, the test's own namespace on a shared cluster:
 * deploy/'s leader-election Role, copied there and bound to deploy/'s ServiceAccount, lets it.
 */
async function grantLeaseIn(admin: KubeConfig, namespace: string): Promise<void> {
  const objects = renderKustomization();
  const role = only<V1Role>(objects, 'Role');
  const binding = only<V1RoleBinding>(objects, 'RoleBinding');
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace,
    body: { metadata: { name: role.metadata?.name ?? '' }, rules: role.rules ?? [] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: binding.metadata?.name ?? '' },
      roleRef: binding.roleRef,
      subjects: binding.subjects ?? [],
    },
  });
}

/** Calls the stand-in saw, by operation. */
export function calls(env: Env): { list: number; grant: number; revoke: number } {
  return env.openai.counts();
}
