import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const DEPLOYMENT = fileURLToPath(new URL('../../../deploy/deployment.yaml', import.meta.url));

interface Deployment {
  spec?: {
    template?: { spec?: { containers?: { name?: string; env?: { name?: string; value?: string }[] }[] } };
  };
}

/**
 * NODE_OPTIONS of the controller container in deploy/deployment.yaml (the V8 heap limits
 * production runs with), so the benchmark runs the operator with the same; '' when unset.
 */
export function productionNodeOptions(path = DEPLOYMENT): string {
  const deployment = parse(readFileSync(path, 'utf8')) as Deployment;
  const container = deployment.spec?.template?.spec?.containers?.find((c) => c.name === 'controller');
  return container?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
}
