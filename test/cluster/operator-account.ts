import {
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1ClusterRole,
  type V1PolicyRule,
  type V1Role,
} from '@kubernetes/client-node';
import { only, renderKustomization } from '../support/deploy-manifests.js';

/** A verb taken out of deploy/'s rules, to see the operator fail on it. */
export interface DroppedVerb {
  resource: string;
  verb: string;
}

const ACCOUNT = 'operator-under-test';

function rulesWithout(rules: readonly V1PolicyRule[], drop: DroppedVerb | undefined): V1PolicyRule[] {
  return rules
    .map((rule) =>
      drop && rule.resources?.includes(drop.resource)
        ? { ...rule, verbs: rule.verbs.filter((v) => v !== drop.verb) }
        : rule,
    )
    .filter((rule) => rule.verbs.length > 0);
}

/**
 * A ServiceAccount of the test's own in `namespace`, deploy/'s rules for it (minus `drop`)
 * bound in `namespace` only, and a kubeconfig for it: deploy/'s RBAC in the form deploy/README
 * gives for WATCH_NAMESPACES (a RoleBinding per watched namespace), the Lease in `namespace`.
 */
export class OperatorAccount {
  private constructor(
    private readonly admin: KubeConfig,
    readonly namespace: string,
    private readonly drop: DroppedVerb | undefined,
    readonly kubeconfig: string,
  ) {}

  static async create(admin: KubeConfig, namespace: string, drop?: DroppedVerb): Promise<OperatorAccount> {
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: ACCOUNT } } });
    const token = await core.createNamespacedServiceAccountToken({
      name: ACCOUNT,
      namespace,
      body: { spec: {} },
    });
    const cluster = admin.getCurrentCluster();
    if (!cluster) throw new Error('the admin kubeconfig has no cluster');
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [cluster],
      users: [{ name: ACCOUNT, token: token.status?.token ?? '' }],
      contexts: [{ name: ACCOUNT, cluster: cluster.name, user: ACCOUNT }],
      currentContext: ACCOUNT,
    });
    const account = new OperatorAccount(admin, namespace, drop, config.exportConfig());
    await account.bind(
      namespace,
      rulesWithout(only<V1Role>(renderKustomization(), 'Role').rules ?? [], drop),
      '-leader-election',
    );
    await account.bindIn(namespace);
    return account;
  }

  /** Grants deploy/'s ClusterRole rules (minus the dropped verb) in one more namespace. */
  async bindIn(namespace: string): Promise<void> {
    const clusterRole = only<V1ClusterRole>(
      renderKustomization(),
      'ClusterRole',
      'checkpoint-share-operator',
    );
    await this.bind(namespace, rulesWithout(clusterRole.rules ?? [], this.drop), '');
  }

  private async bind(namespace: string, rules: V1PolicyRule[], suffix: string): Promise<void> {
    const rbac = this.admin.makeApiClient(RbacAuthorizationV1Api);
    const name = `${ACCOUNT}${suffix}`;
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name: ACCOUNT, namespace: this.namespace }],
      },
    });
  }
}
