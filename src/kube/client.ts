import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  ApiException,
  type Cluster,
  type Context,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type User,
} from '@kubernetes/client-node';
import { ConfigError, SETTINGS } from '../config.js';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeClients {
  config: KubeConfig;
  customObjects: CustomObjectsApi;
  core: CoreV1Api;
}

/** Whether this process runs in a pod with a service-account token mounted. */
export function inCluster(): boolean {
  return existsSync(`${SERVICE_ACCOUNT_DIR}/token`) && process.env.KUBERNETES_SERVICE_HOST !== undefined;
}

/** Where loadKubeConfig looks; the defaults are this process's own. */
export interface KubeConfigSources {
  inCluster: boolean;
  /** Home directory, for ~/.kube/config. */
  home: string;
}

/**
 * The usual order: in-cluster service account, else the kubeconfig path(s) given (KUBECONFIG or
 * --kubeconfig), else ~/.kube/config. Anything unusable is a ConfigError naming what was looked
 * at, never a fallback to some default server the operator would retry forever.
 */
export function loadKubeConfig(
  kubeconfig: string | undefined,
  sources: KubeConfigSources = { inCluster: inCluster(), home: homedir() },
): KubeConfig {
  if (sources.inCluster) {
    const config = new KubeConfig();
    config.loadFromCluster();
    return config;
  }
  const setting = `${SETTINGS.kubeconfig.env} (--${SETTINGS.kubeconfig.flag})`;
  if (kubeconfig !== undefined) return loadKubeconfigFiles(kubeconfig.split(delimiter), setting);
  const fallback = join(sources.home, '.kube', 'config');
  if (existsSync(fallback)) return loadKubeconfigFiles([fallback], '~/.kube/config');
  throw new ConfigError(
    `no Kubernetes configuration found: not in a cluster (no service-account token in ${SERVICE_ACCOUNT_DIR} with KUBERNETES_SERVICE_HOST set), ${setting} not set, and no ${fallback}`,
  );
}

/**
 * Several files merge as kubectl merges them: a missing file in the list is skipped, the first
 * file to set current-context wins, and the first definition of a cluster, user or context name
 * wins. Relative certificate paths are resolved against the file that holds them.
 */
function loadKubeconfigFiles(paths: readonly string[], setting: string): KubeConfig {
  const listed = paths.filter((path) => path !== '');
  const present = listed.filter((path) => existsSync(path));
  if (present.length === 0) {
    throw new ConfigError(`${setting}: no such kubeconfig file: ${listed.join(delimiter) || '(empty)'}`);
  }
  const merged = {
    clusters: new Map<string, Cluster>(),
    users: new Map<string, User>(),
    contexts: new Map<string, Context>(),
    currentContext: '',
  };
  for (const path of present) {
    const file = readKubeconfigFile(path, setting);
    for (const cluster of file.clusters)
      if (!merged.clusters.has(cluster.name)) merged.clusters.set(cluster.name, cluster);
    for (const user of file.users) if (!merged.users.has(user.name)) merged.users.set(user.name, user);
    for (const context of file.contexts)
      if (!merged.contexts.has(context.name)) merged.contexts.set(context.name, context);
    merged.currentContext ||= file.currentContext ?? '';
  }
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [...merged.clusters.values()],
    users: [...merged.users.values()],
    contexts: [...merged.contexts.values()],
    currentContext: merged.currentContext,
  });
  if (!config.getCurrentCluster()) {
    throw new ConfigError(
      `${setting}: ${present.join(delimiter)} names no usable current-context (it must name a context whose cluster is defined)`,
    );
  }
  return config;
}

function readKubeconfigFile(path: string, setting: string): KubeConfig {
  const file = new KubeConfig();
  try {
    file.loadFromFile(path);
  } catch (error: unknown) {
    // Only the first line: YAML errors go on to quote the file, which may hold a token.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ConfigError(`${setting}: cannot read kubeconfig ${path}: ${reason}`);
  }
  return file;
}

export function makeClients(config: KubeConfig): KubeClients {
  return {
    config,
    customObjects: config.makeApiClient(CustomObjectsApi),
    core: config.makeApiClient(CoreV1Api),
  };
}

/** The HTTP status of a failed Kubernetes call, or undefined for a network failure. */
export function kubeStatus(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** A short, secret-free description of a Kubernetes API failure. */
export function describeKubeError(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = typeof error.body === 'string' ? safeParse(error.body) : error.body;
    const message =
      typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : '';
    return `Kubernetes API ${error.code}${message ? `: ${message}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
