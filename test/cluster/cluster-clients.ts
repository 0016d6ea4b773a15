import { randomBytes } from 'node:crypto';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.js';

/** Clients of the cluster the run targets (E2E_KUBECONFIG), as its admin. */
export interface AdminClients {
  kubeconfig: string;
  config: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

export function adminClients(): AdminClients {
  const kubeconfig = process.env.E2E_KUBECONFIG;
  if (!kubeconfig) throw new Error('E2E_KUBECONFIG is not set: run these tests with npm run test:cluster');
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return {
    kubeconfig,
    config,
    core: config.makeApiClient(CoreV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
  };
}

/** A namespace of the test's own, so runs on a shared cluster do not meet. */
export async function freshNamespace(core: CoreV1Api, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

/** What the API server answered a refused request with: its status code and Status message. */
export interface Refusal {
  code: number;
  message: string;
}

/** The Status of a failed call, or a throw if the call did not fail as an API error. */
export function refusalOf(error: unknown): Refusal {
  if (!(error instanceof ApiException)) throw error;
  const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
  const message =
    typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string'
      ? body.message
      : JSON.stringify(body);
  return { code: error.code, message };
}

/** Creates a CheckpointShare with strict field validation; undefined if it was accepted. */
export async function refusalToCreate(
  custom: CustomObjectsApi,
  namespace: string,
  manifest: Record<string, unknown>,
): Promise<Refusal | undefined> {
  try {
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      body: manifest,
      fieldValidation: 'Strict',
    });
    return undefined;
  } catch (error: unknown) {
    return refusalOf(error);
  }
}
