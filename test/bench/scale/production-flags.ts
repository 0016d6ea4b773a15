import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { RUNTIME_SETTINGS } from '../../support/deploy-manifests.js';

const DEPLOYMENT = fileURLToPath(new URL('../../../deploy/deployment.yaml', import.meta.url));

interface Deployment {
  spec?: {
    template?: { spec?: { containers?: { name?: string; env?: { name?: string; value?: string }[] }[] } };
  };
}

function productionEnv(path: string): Map<string, string> {
  const deployment = parse(readFileSync(path, 'utf8')) as Deployment;
  const container = deployment.spec?.template?.spec?.containers?.find((c) => c.name === 'controller');
  return new Map((container?.env ?? []).map((e) => [e.name ?? '', e.value ?? '']));
}

/**
 * NODE_OPTIONS of the controller container in deploy/deployment.yaml (the V8 heap limits
 * production runs with), so the benchmark runs the operator with the same; '' when unset.
 */
export function productionNodeOptions(path = DEPLOYMENT): string {
  return productionEnv(path).get('NODE_OPTIONS') ?? '';
}

/** The other runtime settings of the controller container (glibc's malloc), as set there. */
export function productionRuntimeEnv(path = DEPLOYMENT): Record<string, string> {
  const env = productionEnv(path);
  return Object.fromEntries(
    RUNTIME_SETTINGS.filter((name) => name !== 'NODE_OPTIONS' && env.has(name)).map((name) => [
      name,
      env.get(name) ?? '',
    ]),
  );
}
