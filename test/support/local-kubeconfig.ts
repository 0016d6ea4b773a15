import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A kubeconfig for a plain-HTTP test server on loopback. skip-verify is what client-node demands
 * for http://, and it also gives client-node TLS options, the case production runs with a CA.
 */
export function localKubeConfig(server: Server): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        name: 'local',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'operator', token: 'unit-test-token' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'operator' }],
    currentContext: 'local',
  });
  return config;
}
