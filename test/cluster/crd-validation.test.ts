import { type KubeStandIn, startKubeStandIn } from '@checkpoint-share/sandbox/kube-api';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CKPT,
  INTERVALS_UNDER_THE_FLOOR,
  INVALID_SHARES,
  share,
} from '../../packages/sandbox/test/support/invalid-shares.js';
import { type AdminClients, adminClients, freshNamespace, refusalToCreate } from './cluster-clients.js';

let cluster: AdminClients;
let namespace: string;
let standIn: KubeStandIn;
let standInApi: CustomObjectsApi;

beforeAll(async () => {
  cluster = adminClients();
  namespace = await freshNamespace(cluster.core, 'cps-validation');
  standIn = await startKubeStandIn({ port: 0 });
  const config = new KubeConfig();
  config.loadFromString(standIn.kubeconfig());
  standInApi = config.makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  await standIn?.close();
  await cluster?.core.deleteNamespace({ name: namespace });
});

/** The manifest as sent to `namespace`: the table's objects name namespace ml. */
function inNamespace(manifest: Record<string, unknown>, target: string): Record<string, unknown> {
  const metadata = manifest.metadata as Record<string, unknown> | undefined;
  return metadata && 'namespace' in metadata
    ? { ...manifest, metadata: { ...metadata, namespace: target } }
    : manifest;
}

describe('the CRD in crds/ on the real API server', () => {
  it.each(INVALID_SHARES)(
    '$reason: refused naming $field, with the same code and message as the stand-in',
    async ({ manifest, field, says, refusedAs }) => {
      const real = await refusalToCreate(cluster.custom, namespace, inNamespace(manifest, namespace));
      expect(real, 'the real API server accepted it').toBeDefined();
      if (refusedAs) {
        expect(real?.code).toBe(400);
        expect(real?.message).toContain(refusedAs);
      } else {
        expect(real?.code).toBe(422);
        expect(real?.message).toContain(`${field}: `);
        expect(real?.message).toContain(says);
      }
      const standInAnswer = await refusalToCreate(standInApi, 'ml', inNamespace(manifest, 'ml'));
      expect(standInAnswer).toEqual(real);
    },
  );

  it.each(INTERVALS_UNDER_THE_FLOOR)(
    'interval $interval is refused by the CEL rule on spec.interval ($reason), as the stand-in refuses it',
    async ({ interval }) => {
      const manifest = share({ checkpoint: CKPT, interval });
      const real = await refusalToCreate(cluster.custom, namespace, inNamespace(manifest, namespace));
      expect(real?.code).toBe(422);
      expect(real?.message).toContain(
        `spec.interval: Invalid value: ${JSON.stringify(interval)}: must be at least 30s`,
      );
      expect(await refusalToCreate(standInApi, 'ml', manifest)).toEqual(real);
    },
  );

  it('accepts the floor itself and fills the defaults the stand-in fills', async () => {
    const manifest = share({ checkpoint: CKPT, interval: '30s' });
    expect(
      await refusalToCreate(cluster.custom, namespace, inNamespace(manifest, namespace)),
    ).toBeUndefined();
    const stored = (await cluster.custom.getNamespacedCustomObject({
      group: 'checkpointshare.io',
      version: 'v1alpha1',
      plural: 'checkpointshares',
      namespace,
      name: 'a-share',
    })) as { spec: Record<string, unknown> };
    expect(stored.spec).toEqual({
      checkpoint: CKPT,
      interval: '30s',
      projectIds: [],
      mode: 'Managed',
      deletionPolicy: 'Revoke',
      suspend: false,
    });
  });
});
