import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  KubernetesObject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const OPERATOR_NAMESPACE = 'checkpoint-share-system';

/** The settings of docs/design.md ("Process and settings"), in its order. */
export const DESIGN_SETTINGS = [
  'OPENAI_ADMIN_KEY',
  'OPENAI_BASE_URL',
  'WATCH_NAMESPACES',
  'MAX_CONCURRENT_RECONCILES',
  'RESYNC_INTERVAL',
  'OPENAI_MAX_RPS',
  'OPENAI_REQUEST_TIMEOUT',
  'LEADER_ELECTION',
  'POD_NAMESPACE',
  'HTTP_PORT',
  'LOG_LEVEL',
  'MIN_RESYNC_INTERVAL',
  'LEASE_DURATION',
  'RENEW_DEADLINE',
  'RETRY_PERIOD',
  'SHARE_POLICY',
  'AUDIT_LOG',
  'AUDIT_LOG_POLL_INTERVAL',
  'AUDIT_RESYNC_INTERVAL',
] as const;

/**
 * The runtime's own settings deploy/ sets after the operator's: V8's heap limits, glibc malloc's
 * arenas and thresholds. Documented under Sizing, not Configuration.
 */
export const RUNTIME_SETTINGS = [
  'NODE_OPTIONS',
  'MALLOC_ARENA_MAX',
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_MMAP_THRESHOLD_',
] as const;

/** The HTTP endpoints docs/design.md promises on HTTP_PORT. */
export const DESIGN_ENDPOINTS = { liveness: '/healthz', readiness: '/readyz', metrics: '/metrics' } as const;
export const DESIGN_HTTP_PORT = 8080;

export interface PackageJson {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean | string>;
}

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

export function packageJson(): PackageJson {
  return JSON.parse(readRepoFile('package.json')) as PackageJson;
}

/**
 * `kubectl kustomize <dir>`, exactly what `kubectl apply -k` would send. kubectl is part of the
 * toolchain (locally and on CI): a missing kubectl is an error, never a reason to skip.
 */
export function renderKustomization(dir: string = DEPLOY_DIR): KubernetesObject[] {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`kubectl kustomize ${dir} failed (is kubectl v1.27+ on PATH?): ${detail}`);
  }
  return parseAllDocuments(output)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`kustomize output is not YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as unknown;
    })
    .filter((doc): doc is KubernetesObject => typeof doc === 'object' && doc !== null);
}

/**
 * Renders an overlay of deploy/ the way a user writes one: `kustomization` is the overlay's
 * kustomization.yaml with `DEPLOY_BASE` where its path to deploy/ goes (kustomize accepts only a
 * relative one), `files` the other files it lists, by name.
 */
export function renderOverlay(kustomization: string, files: Record<string, string> = {}): KubernetesObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'cps-overlay-'));
  try {
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      kustomization.replaceAll('DEPLOY_BASE', relative(dir, DEPLOY_DIR)),
    );
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return renderKustomization(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseYamlFile(path: string): unknown {
  return parse(readRepoFile(path));
}

/** The one object of a kind (and name, when given); throws when there is none or several. */
export function only<T extends KubernetesObject>(
  objects: readonly KubernetesObject[],
  kind: string,
  name?: string,
): T {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  }
  return found[0] as T;
}

/** One (apiGroup, resource, verb) the operator's ServiceAccount may use, and where. */
export interface Permission {
  scope: 'cluster' | 'namespace';
  namespace?: string;
  apiGroup: string;
  resource: string;
  verb: string;
}

/**
 * Every permission the rendered manifests grant to a ServiceAccount, flattened to one row per
 * (group, resource, verb): the shape to compare with the API calls an end-to-end run records.
 */
export function grantedPermissions(
  objects: readonly KubernetesObject[],
  serviceAccount: { name: string; namespace: string },
): Permission[] {
  const bindsAccount = (binding: V1RoleBinding | V1ClusterRoleBinding) =>
    (binding.subjects ?? []).some(
      (s) =>
        s.kind === 'ServiceAccount' &&
        s.name === serviceAccount.name &&
        s.namespace === serviceAccount.namespace,
    );
  const rules = (kind: 'Role' | 'ClusterRole', name: string, namespace?: string) => {
    const role = objects.find(
      (o) =>
        o.kind === kind &&
        o.metadata?.name === name &&
        (kind === 'ClusterRole' || o.metadata?.namespace === namespace),
    ) as V1Role | V1ClusterRole | undefined;
    if (!role) throw new Error(`a binding refers to ${kind} ${name}, which the manifests do not hold`);
    return role.rules ?? [];
  };
  const out: Permission[] = [];
  for (const object of objects) {
    if (object.kind !== 'ClusterRoleBinding' && object.kind !== 'RoleBinding') continue;
    const binding = object as V1RoleBinding | V1ClusterRoleBinding;
    if (!bindsAccount(binding)) continue;
    const namespace = object.kind === 'RoleBinding' ? object.metadata?.namespace : undefined;
    for (const rule of rules(
      binding.roleRef.kind as 'Role' | 'ClusterRole',
      binding.roleRef.name,
      namespace,
    )) {
      for (const apiGroup of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          for (const verb of rule.verbs) {
            out.push(
              namespace === undefined
                ? { scope: 'cluster', apiGroup, resource, verb }
                : { scope: 'namespace', namespace, apiGroup, resource, verb },
            );
          }
        }
      }
    }
  }
  return out;
}
