import { stringify } from 'yaml';

export const KUBECONFIG_NAME = 'checkpoint-share-sandbox';

export interface KubeconfigSettings {
  server: string;
  token?: string | undefined;
  namespace?: string;
}

/**
 * A kubeconfig for the stand-in. The server is plain HTTP, so the cluster carries
 * `insecure-skip-tls-verify: true`: @kubernetes/client-node refuses an http:// server without it.
 */
export function kubeconfigYaml(settings: KubeconfigSettings): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: KUBECONFIG_NAME, cluster: { server: settings.server, 'insecure-skip-tls-verify': true } },
    ],
    users: [{ name: KUBECONFIG_NAME, user: settings.token ? { token: settings.token } : {} }],
    contexts: [
      {
        name: KUBECONFIG_NAME,
        context: {
          cluster: KUBECONFIG_NAME,
          user: KUBECONFIG_NAME,
          namespace: settings.namespace ?? 'default',
        },
      },
    ],
    'current-context': KUBECONFIG_NAME,
    preferences: {},
  });
}
