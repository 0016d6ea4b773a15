import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CRD_PATH, POLICY_CRD_PATH } from '@checkpoint-share/sandbox/crd';
import type {
  KubernetesObject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Deployment,
  V1Namespace,
  V1NetworkPolicy,
  V1NetworkPolicyPort,
  V1PodDisruptionBudget,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CRD_NAME,
  GROUP,
  PLURAL,
  POLICY_CRD_NAME,
  POLICY_KIND,
  POLICY_PLURAL,
} from '../../src/api/constants.js';
import { loadConfig, SETTINGS } from '../../src/config.js';
import { type StructuralSchema, validateStructural } from '../../src/schema/structural-schema.js';
import {
  DEPLOY_DIR,
  DESIGN_ENDPOINTS,
  DESIGN_HTTP_PORT,
  DESIGN_SETTINGS,
  grantedPermissions,
  OPERATOR_NAMESPACE,
  only,
  packageJson,
  parseYamlFile,
  RUNTIME_SETTINGS,
  readRepoFile,
  renderKustomization,
  renderOverlay,
} from '../support/deploy-manifests.js';

const objects = renderKustomization();
const deployment = only<V1Deployment>(objects, 'Deployment');
const podSpec = deployment.spec?.template.spec;
/** The runtime's settings the Deployment sets after the operator's: V8's heap limits, glibc's malloc. */
const RUNTIME: readonly string[] = RUNTIME_SETTINGS;
/** RSS of the operator outside the V8 heap (binary, native code, sockets), from the scale benchmark. */
const OUTSIDE_HEAP_MIB = 100;

/** A Kubernetes memory quantity in Mi or Gi, in MiB. */
function mebibytes(quantity: string | number | undefined): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(String(quantity ?? ''));
  if (!match?.[1]) throw new Error(`expected a memory quantity in Mi or Gi, got ${JSON.stringify(quantity)}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}
const podLabels = deployment.spec?.template.metadata?.labels ?? {};
const [container, ...sidecars] = podSpec?.containers ?? [];
if (!container || sidecars.length > 0) throw new Error('the Deployment should run exactly one container');
const env = new Map((container.env ?? []).map((e) => [e.name, e]));
const serviceAccount = only<V1ServiceAccount>(objects, 'ServiceAccount');
const clusterRole = only<V1ClusterRole>(objects, 'ClusterRole', 'checkpoint-share-operator');
const role = only<V1Role>(objects, 'Role');
const service = only<V1Service>(objects, 'Service');
const pdb = only<V1PodDisruptionBudget>(objects, 'PodDisruptionBudget');
const networkPolicy = only<V1NetworkPolicy>(objects, 'NetworkPolicy');
const kustomization = parseYamlFile('deploy/kustomization.yaml') as {
  namespace: string;
  resources: string[];
  images: { name: string; newName?: string; newTag: string }[];
};

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
]);

/** Whether a label selector picks the operator's pods. */
function selectsPods(matchLabels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(matchLabels ?? {});
  return entries.length > 0 && entries.every(([key, value]) => podLabels[key] === value);
}

function portSet(ports: V1NetworkPolicyPort[] | undefined): string[] {
  return [...new Set((ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${String(p.port)}`))].sort();
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('kubectl apply -k deploy/ installs the operator', () => {
  it('renders exactly the kinds an install needs, and no Secret', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      [
        // The operator's, and the two tenant roles that aggregate into edit/admin and view.
        'ClusterRole',
        'ClusterRole',
        'ClusterRole',
        'ClusterRoleBinding',
        // CheckpointShares and CheckpointSharePolicies.
        'CustomResourceDefinition',
        'CustomResourceDefinition',
        'Deployment',
        'Namespace',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
  });

  it('puts every namespaced object in the operator namespace, which it creates', () => {
    const namespace = only<V1Namespace>(objects, 'Namespace');
    expect(kustomization.namespace).toBe(OPERATOR_NAMESPACE);
    expect(namespace.metadata?.name).toBe(OPERATOR_NAMESPACE);
    const misplaced = objects
      .filter((o) =>
        CLUSTER_SCOPED.has(o.kind ?? '')
          ? o.metadata?.namespace !== undefined
          : o.metadata?.namespace !== OPERATOR_NAMESPACE,
      )
      .map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(misplaced).toEqual([]);
  });

  it('enforces the restricted Pod Security Standard on the namespace, which the pod meets', () => {
    expect(only<V1Namespace>(objects, 'Namespace').metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  it('applies the CRD exactly as crds/ ships it', () => {
    const shipped: unknown = parse(readFileSync(CRD_PATH, 'utf8'));
    expect(only(objects, 'CustomResourceDefinition', CRD_NAME)).toEqual(shipped);
    const policies: unknown = parse(readFileSync(POLICY_CRD_PATH, 'utf8'));
    expect(only(objects, 'CustomResourceDefinition', POLICY_CRD_NAME)).toEqual(policies);
  });

  it('labels every object as part of the operator', () => {
    const unlabelled = objects
      .filter((o) => o.metadata?.labels?.['app.kubernetes.io/name'] !== 'checkpoint-share-operator')
      .map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(unlabelled).toEqual([]);
  });

  it('references neither the example Secret nor the Argo CD files', () => {
    expect(kustomization.resources.filter((r) => r.includes('examples') || r.includes('argocd'))).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('the Deployment', () => {
  it.each([
    { reason: 'two replicas, one leader and one standby', actual: deployment.spec?.replicas, expected: 2 },
    { reason: 'the controller subcommand', actual: container.args, expected: ['run'] },
    {
      reason: 'leader election on, since there are two replicas',
      actual: env.get('LEADER_ELECTION')?.value,
      expected: 'true',
    },
    {
      reason: 'the selector picks its own pods',
      actual: selectsPods(deployment.spec?.selector.matchLabels),
      expected: true,
    },
    {
      reason: 'the pod runs as the operator ServiceAccount',
      actual: podSpec?.serviceAccountName,
      expected: serviceAccount.metadata?.name,
    },
    {
      reason: 'the pod mounts the token explicitly: it calls the API server',
      actual: podSpec?.automountServiceAccountToken,
      expected: true,
    },
    {
      reason: 'the ServiceAccount does not mount its token into pods that do not ask for it',
      actual: serviceAccount.automountServiceAccountToken,
      expected: false,
    },
    {
      reason: 'shutdown waits up to 30 s for in-flight reconciles, so the grace period covers it',
      actual: (podSpec?.terminationGracePeriodSeconds ?? 0) >= 30,
      expected: true,
    },
    {
      reason: 'a rollout starts the new pod before stopping an old one',
      actual: deployment.spec?.strategy?.rollingUpdate?.maxUnavailable,
      expected: 0,
    },
    {
      reason: 'replicas spread across nodes',
      actual: podSpec?.topologySpreadConstraints?.map((t) => [
        t.topologyKey,
        selectsPods(t.labelSelector?.matchLabels),
      ]),
      expected: [['kubernetes.io/hostname', true]],
    },
  ])('$reason', ({ actual, expected }) => {
    expect(actual).toEqual(expected);
  });

  it('runs the image the kustomization names, tagged with the package version', () => {
    const image = kustomization.images.find((i) => i.name === 'checkpoint-share-operator');
    expect(image?.newTag).toBe(packageJson().version);
    // The name stays the one overlays match; only the tag is set here.
    expect(image?.newName).toBeUndefined();
    expect(container.image).toBe(`checkpoint-share-operator:${image?.newTag}`);
  });

  it("sets exactly the settings of docs/design.md, then the runtime's (V8 heap limits, malloc arenas and trim threshold), and nothing that looks like a key", () => {
    expect([...env.keys()]).toEqual([...DESIGN_SETTINGS, ...RUNTIME]);
    expect((container.env ?? []).filter((e) => /sk-/.test(e.value ?? ''))).toEqual([]);
    expect(container.envFrom).toBeUndefined();
  });

  it('sets every setting the config loader reads, except KUBECONFIG (in a cluster the token is mounted)', () => {
    const read = Object.values(SETTINGS)
      .map((setting) => setting.env)
      .filter((name) => name !== 'KUBECONFIG');
    expect([...env.keys()].filter((name) => !RUNTIME.includes(name)).sort()).toEqual([...read].sort());
  });

  it('yields a valid config: all namespaces, leader election on, the probes port', () => {
    const resolved = Object.fromEntries(
      [...env.values()].map((e) => [
        e.name,
        e.value ??
          (e.valueFrom?.secretKeyRef ? 'REPLACE_WITH_YOUR_ADMIN_KEY' : undefined) ??
          (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? OPERATOR_NAMESPACE : undefined),
      ]),
    );
    const config = loadConfig({ argv: container.args?.slice(1) ?? [], env: resolved, inCluster: true });
    expect(config).toMatchObject({
      openaiBaseUrl: 'https://api.openai.com/v1',
      watchNamespaces: [],
      maxConcurrentReconciles: 4,
      resyncIntervalMs: 600_000,
      minResyncIntervalMs: 30_000,
      openaiMaxRps: 5,
      leaderElection: true,
      podNamespace: OPERATOR_NAMESPACE,
      httpPort: DESIGN_HTTP_PORT,
      logLevel: 'info',
    });
  });

  it.each([
    {
      reason: 'the admin key comes from the Secret the docs tell you to create',
      name: 'OPENAI_ADMIN_KEY',
      expected: { secretKeyRef: { name: 'checkpoint-share-openai', key: 'admin-key' } },
    },
    {
      reason: 'the Lease namespace comes from the downward API',
      name: 'POD_NAMESPACE',
      expected: { fieldRef: { fieldPath: 'metadata.namespace' } },
    },
  ])('$reason', ({ name, expected }) => {
    expect(env.get(name)?.valueFrom).toEqual(expected);
    expect(env.get(name)?.value).toBeUndefined();
  });

  it.each([
    { reason: 'OPENAI_BASE_URL is the default', name: 'OPENAI_BASE_URL', value: 'https://api.openai.com/v1' },
    { reason: 'WATCH_NAMESPACES empty means every namespace', name: 'WATCH_NAMESPACES', value: '' },
    { reason: 'MAX_CONCURRENT_RECONCILES is the default', name: 'MAX_CONCURRENT_RECONCILES', value: '4' },
    { reason: 'RESYNC_INTERVAL is the default', name: 'RESYNC_INTERVAL', value: '10m' },
    { reason: 'OPENAI_MAX_RPS is the default', name: 'OPENAI_MAX_RPS', value: '5' },
    { reason: 'HTTP_PORT is the port the probes use', name: 'HTTP_PORT', value: String(DESIGN_HTTP_PORT) },
    { reason: 'LOG_LEVEL is the default', name: 'LOG_LEVEL', value: 'info' },
    { reason: 'MIN_RESYNC_INTERVAL is the default', name: 'MIN_RESYNC_INTERVAL', value: '30s' },
  ])('$reason', ({ name, value }) => {
    expect(env.get(name)?.value).toBe(value);
  });

  it.each([
    { reason: 'liveness asks /healthz', probe: container.livenessProbe, path: DESIGN_ENDPOINTS.liveness },
    { reason: 'readiness asks /readyz', probe: container.readinessProbe, path: DESIGN_ENDPOINTS.readiness },
  ])('$reason on the port HTTP_PORT opens', ({ probe, path }) => {
    expect(probe?.httpGet?.path).toBe(path);
    const port = container.ports?.find(
      (p) => p.name === probe?.httpGet?.port || p.containerPort === probe?.httpGet?.port,
    );
    expect(port?.containerPort).toBe(DESIGN_HTTP_PORT);
    expect(env.get('HTTP_PORT')?.value).toBe(String(port?.containerPort));
  });

  it.each([
    { reason: 'pod: never root', actual: podSpec?.securityContext?.runAsNonRoot, expected: true },
    {
      reason: 'pod: the distroless nonroot uid',
      actual: podSpec?.securityContext?.runAsUser,
      expected: 65532,
    },
    {
      reason: 'pod: default seccomp',
      actual: podSpec?.securityContext?.seccompProfile?.type,
      expected: 'RuntimeDefault',
    },
    { reason: 'container: never root', actual: container.securityContext?.runAsNonRoot, expected: true },
    {
      reason: 'container: the distroless nonroot uid',
      actual: container.securityContext?.runAsUser,
      expected: 65532,
    },
    {
      reason: 'container: no privilege escalation',
      actual: container.securityContext?.allowPrivilegeEscalation,
      expected: false,
    },
    { reason: 'container: not privileged', actual: container.securityContext?.privileged, expected: false },
    {
      reason: 'container: read-only root filesystem',
      actual: container.securityContext?.readOnlyRootFilesystem,
      expected: true,
    },
    {
      reason: 'container: every capability dropped',
      actual: container.securityContext?.capabilities,
      expected: { drop: ['ALL'] },
    },
    {
      reason: 'container: default seccomp',
      actual: container.securityContext?.seccompProfile?.type,
      expected: 'RuntimeDefault',
    },
    {
      reason: 'no host namespaces',
      actual: [podSpec?.hostNetwork, podSpec?.hostPID, podSpec?.hostIPC],
      expected: [undefined, undefined, undefined],
    },
    {
      reason: 'only an emptyDir scratch volume, no hostPath',
      actual: podSpec?.volumes?.map((v) => Object.keys(v).sort()),
      expected: [['emptyDir', 'name']],
    },
  ])('$reason', ({ actual, expected }) => {
    expect(actual).toEqual(expected);
  });

  it('requests and limits both CPU and memory', () => {
    expect(Object.keys(container.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(container.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
  });

  it('caps the V8 heap inside the memory limit, leaving room for what lives outside it', () => {
    const options = env.get('NODE_OPTIONS')?.value ?? '';
    const flag = (name: string) =>
      Number(new RegExp(`(?:^|\\s)--${name}=(\\d+)(?:\\s|$)`).exec(options)?.[1]);
    const oldSpaceMiB = flag('max-old-space-size');
    const semiSpaceMiB = flag('max-semi-space-size');
    expect(oldSpaceMiB, `--max-old-space-size in ${JSON.stringify(options)}`).toBeGreaterThan(0);
    expect(semiSpaceMiB, `--max-semi-space-size in ${JSON.stringify(options)}`).toBeGreaterThan(0);
    // The young generation reserves three semi-spaces; outside the heap, the Node.js binary,
    // code, sockets and buffers took OUTSIDE_HEAP_MIB in the scale benchmark (deploy/README.md).
    const heapMiB = oldSpaceMiB + 3 * semiSpaceMiB;
    expect(heapMiB + OUTSIDE_HEAP_MIB).toBeLessThanOrEqual(mebibytes(container.resources?.limits?.memory));
    // The request covers what the benchmark measured settled at 10,000 shares.
    expect(mebibytes(container.resources?.requests?.memory)).toBeLessThanOrEqual(
      mebibytes(container.resources?.limits?.memory),
    );
  });
});

describe('RBAC: least privilege', () => {
  const account = { name: serviceAccount.metadata?.name ?? '', namespace: OPERATOR_NAMESPACE };
  const granted = grantedPermissions(objects, account)
    .map(
      (p) =>
        `${p.scope}${p.namespace ? `(${p.namespace})` : ''} ${p.apiGroup || 'core'}/${p.resource} ${p.verb}`,
    )
    .sort();

  it('grants exactly the API calls the operator makes', () => {
    const cluster = (apiGroup: string, resource: string, verbs: string[]) =>
      verbs.map((verb) => `cluster ${apiGroup}/${resource} ${verb}`);
    expect(granted).toEqual(
      [
        ...cluster(GROUP, PLURAL, ['get', 'list', 'watch', 'patch']),
        ...cluster(GROUP, `${PLURAL}/status`, ['patch']),
        ...cluster(GROUP, `${PLURAL}/finalizers`, ['update']),
        ...cluster(GROUP, POLICY_PLURAL, ['list', 'watch']),
        ...cluster(GROUP, `${POLICY_PLURAL}/status`, ['patch']),
        ...cluster('core', 'namespaces', ['list', 'watch']),
        ...cluster('core', 'events', ['create', 'patch']),
        ...['get', 'create', 'update'].map(
          (verb) => `namespace(${OPERATOR_NAMESPACE}) coordination.k8s.io/leases ${verb}`,
        ),
      ].sort(),
    );
  });

  it('has no wildcard anywhere and no non-resource URLs', () => {
    const wildcards = [...(clusterRole.rules ?? []), ...(role.rules ?? [])].filter((rule) =>
      [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames, rule.nonResourceURLs].some((list) =>
        (list ?? []).some((entry) => entry.includes('*')),
      ),
    );
    expect(wildcards).toEqual([]);
    expect(
      [...(clusterRole.rules ?? []), ...(role.rules ?? [])].filter(
        (rule) => rule.nonResourceURLs !== undefined,
      ),
    ).toEqual([]);
    expect(clusterRole.aggregationRule).toBeUndefined();
  });

  it('keeps leases to a Role in the operator namespace, and out of the ClusterRole', () => {
    expect(role.metadata?.namespace).toBe(OPERATOR_NAMESPACE);
    expect(only<V1RoleBinding>(objects, 'RoleBinding').roleRef).toMatchObject({
      kind: 'Role',
      name: role.metadata?.name,
    });
    expect((clusterRole.rules ?? []).filter((rule) => rule.resources?.includes('leases'))).toEqual([]);
  });

  it('never grants access to secrets: the key arrives as an environment variable', () => {
    expect(granted.filter((g) => g.includes('secrets'))).toEqual([]);
  });

  it('binds the ClusterRole to the operator ServiceAccount only', () => {
    const binding = only<V1ClusterRoleBinding>(objects, 'ClusterRoleBinding');
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: clusterRole.metadata?.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', ...account }]);
  });
});

describe('metrics Service, disruption budget and network policy', () => {
  it('exposes /metrics on 8080 as http-metrics, announced to Prometheus', () => {
    expect(selectsPods(service.spec?.selector)).toBe(true);
    expect(service.spec?.ports).toEqual([
      { name: 'http-metrics', port: DESIGN_HTTP_PORT, targetPort: 'http', protocol: 'TCP' },
    ]);
    expect(service.metadata?.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(DESIGN_HTTP_PORT),
      'prometheus.io/path': DESIGN_ENDPOINTS.metrics,
    });
  });

  it('keeps at least one replica through voluntary disruptions', () => {
    expect(pdb.spec?.minAvailable).toBe(1);
    expect(selectsPods(pdb.spec?.selector?.matchLabels)).toBe(true);
  });

  it.each([
    {
      reason: 'it governs the operator pods',
      actual: selectsPods(networkPolicy.spec?.podSelector?.matchLabels),
      expected: true,
    },
    {
      reason: 'both directions are default-deny',
      actual: networkPolicy.spec?.policyTypes,
      expected: ['Ingress', 'Egress'],
    },
    {
      reason: 'ingress only to the probes and metrics port',
      actual: (networkPolicy.spec?.ingress ?? []).map((rule) => portSet(rule.ports)),
      expected: [[`TCP/${DESIGN_HTTP_PORT}`]],
    },
    {
      reason: 'egress only to DNS, the API server and HTTPS',
      actual: portSet((networkPolicy.spec?.egress ?? []).flatMap((rule) => rule.ports ?? [])),
      expected: ['TCP/443', 'TCP/53', 'TCP/6443', 'UDP/53'],
    },
    {
      reason: 'every egress rule names its ports (a rule without ports would allow all)',
      actual: (networkPolicy.spec?.egress ?? []).every((rule) => (rule.ports ?? []).length > 0),
      expected: true,
    },
  ])('$reason', ({ actual, expected }) => {
    expect(actual).toEqual(expected);
  });
});

describe('the NetworkPolicy egress', () => {
  const egress = networkPolicy.spec?.egress ?? [];
  const dns = egress.filter((rule) => portSet(rule.ports).includes('UDP/53'));

  it('allows DNS only to the cluster DNS pods in kube-system, not to any address', () => {
    expect(dns).toHaveLength(1);
    expect(dns[0]?.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
    expect(portSet(dns[0]?.ports)).toEqual(['TCP/53', 'UDP/53']);
  });

  it.each([
    { reason: 'the base reaches an API server on 6443', port: undefined, expected: ['TCP/6443'] },
    { reason: 'the example patch moves it to minikube’s 8443', port: 8443, expected: ['TCP/8443'] },
    { reason: 'the same patch, set to microk8s’ 16443', port: 16443, expected: ['TCP/16443'] },
  ])('$reason, and leaves DNS and HTTPS as they are', ({ port, expected }) => {
    const example = readRepoFile('deploy/examples/apiserver-port.patch.yaml');
    const patch = port === undefined ? example : example.replace(/value: 8443/, `value: ${port}`);
    const rendered =
      port === undefined
        ? objects
        : renderOverlay(
            [
              'resources:',
              '  - DEPLOY_BASE',
              'patches:',
              '  - path: apiserver-port.patch.yaml',
              '    target: {kind: NetworkPolicy, name: checkpoint-share-operator}',
            ].join('\n'),
            { 'apiserver-port.patch.yaml': patch },
          );
    const rules = only<V1NetworkPolicy>(rendered, 'NetworkPolicy').spec?.egress ?? [];
    expect(rules.map((rule) => portSet(rule.ports))).toEqual([['TCP/53', 'UDP/53'], ['TCP/443'], expected]);
    expect(rules[0]?.to).toEqual(dns[0]?.to);
  });
});

describe('the example Secret', () => {
  const secret = parseYamlFile('deploy/examples/openai-admin-key.secret.yaml') as V1Secret;
  const keyRef = env.get('OPENAI_ADMIN_KEY')?.valueFrom?.secretKeyRef;

  it('has the name, namespace and key the Deployment reads', () => {
    expect(secret.metadata?.name).toBe(keyRef?.name);
    expect(secret.metadata?.namespace).toBe(OPERATOR_NAMESPACE);
    expect(Object.keys(secret.stringData ?? {})).toEqual([keyRef?.key]);
  });

  it('holds a placeholder, never a real-looking key', () => {
    expect(secret.stringData?.[keyRef?.key ?? '']).toBe('REPLACE_WITH_YOUR_ADMIN_KEY');
  });

  it('no manifest under deploy/ holds anything shaped like an OpenAI key', () => {
    const offenders = filesUnder(DEPLOY_DIR)
      .filter((path) => /\.(ya?ml|lua)$/.test(path))
      .filter((path) => /sk-[A-Za-z0-9_-]{6,}/.test(readFileSync(path, 'utf8')))
      .map((path) => relative(DEPLOY_DIR, path));
    expect(offenders).toEqual([]);
  });
});

describe('tenant roles', () => {
  const edit = only<V1ClusterRole>(objects, 'ClusterRole', 'checkpointshare-edit');
  const view = only<V1ClusterRole>(objects, 'ClusterRole', 'checkpointshare-view');
  const resources = (role: V1ClusterRole) => (role.rules ?? []).flatMap((rule) => rule.resources ?? []);

  it.each([
    {
      reason: 'edit aggregates into admin and edit',
      role: edit,
      labels: ['aggregate-to-admin', 'aggregate-to-edit'],
    },
    { reason: 'view aggregates into view', role: view, labels: ['aggregate-to-view'] },
  ])('$reason', ({ role, labels }) => {
    const aggregated = Object.entries(role.metadata?.labels ?? {})
      .filter(([key, value]) => key.startsWith('rbac.authorization.k8s.io/') && value === 'true')
      .map(([key]) => key.replace('rbac.authorization.k8s.io/', ''))
      .sort();
    expect(aggregated).toEqual(labels);
  });

  it('lets tenants write their CheckpointShares, never their status nor any policy', () => {
    expect(edit.rules?.flatMap((rule) => rule.verbs).sort()).toEqual([
      'create',
      'delete',
      'deletecollection',
      'get',
      'list',
      'patch',
      'update',
      'watch',
    ]);
    for (const role of [edit, view]) {
      expect(resources(role)).toEqual([PLURAL]);
      expect(role.rules?.flatMap((rule) => rule.apiGroups ?? [])).toEqual([GROUP]);
    }
    expect(view.rules?.flatMap((rule) => rule.verbs).sort()).toEqual(['get', 'list', 'watch']);
  });

  it('are bound to no one: the built-in roles carry them', () => {
    const bound = objects
      .filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
      .map((o) => (o as V1ClusterRoleBinding).roleRef.name);
    expect(bound).not.toContain(edit.metadata?.name);
    expect(bound).not.toContain(view.metadata?.name);
  });
});

describe('the multi-tenant overlay', () => {
  const rendered = renderOverlay(
    ['resources:', '  - DEPLOY_BASE', 'components:', '  - DEPLOY_BASE/overlays/multi-tenant'].join('\n'),
  );
  const controller = only<V1Deployment>(rendered, 'Deployment').spec?.template.spec?.containers[0];
  const settings = new Map((controller?.env ?? []).map((e) => [e.name, e.value]));
  const policies = rendered.filter((o) => o.kind === POLICY_KIND) as (KubernetesObject & {
    spec: { namespaceSelector: unknown; modes?: string[] };
  })[];

  it('turns SHARE_POLICY to enforce and changes no other setting', () => {
    expect(settings.get('SHARE_POLICY')).toBe('enforce');
    // A strategic merge moves the entry it merges to the front; the set is what counts.
    expect([...settings.keys()].sort()).toEqual([...DESIGN_SETTINGS, ...RUNTIME].sort());
    for (const [name, value] of env)
      if (name !== 'SHARE_POLICY') expect(settings.get(name)).toBe(value.value);
  });

  it('is a setting the operator accepts', () => {
    const config = loadConfig({
      argv: [],
      env: { OPENAI_ADMIN_KEY: 'sk-admin-test', SHARE_POLICY: settings.get('SHARE_POLICY') },
      inCluster: false,
    });
    expect(config.sharePolicy).toBe('enforce');
  });

  it('ships one policy per tenant and one for the platform, which alone allows Authoritative', () => {
    expect(policies.map((p) => p.metadata?.name).sort()).toEqual(['platform', 'team-a', 'team-b']);
    const authoritative = policies.filter((p) => p.spec.modes?.includes('Authoritative'));
    expect(authoritative.map((p) => p.metadata?.name)).toEqual(['platform']);
    for (const policy of policies) expect(policy.spec.namespaceSelector).not.toEqual({});
  });

  it('validates each example policy against the CRD', () => {
    const crd = only<
      { spec: { versions: { schema: { openAPIV3Schema: StructuralSchema } }[] } } & KubernetesObject
    >(rendered, 'CustomResourceDefinition', POLICY_CRD_NAME);
    const schema = crd.spec.versions[0]?.schema.openAPIV3Schema;
    if (!schema) throw new Error('the policy CRD has no schema');
    for (const policy of policies) {
      const result = validateStructural(schema, structuredClone(policy), 'Strict');
      expect(result.errors, policy.metadata?.name).toEqual([]);
      expect(result.unknownFields, policy.metadata?.name).toEqual([]);
    }
  });
});
