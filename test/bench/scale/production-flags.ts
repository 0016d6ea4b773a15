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
 * The runtime's own settings deploy/ sets beside the operator's: V8's heap limits, malloc's
 * arenas and trim threshold.
 */
export const RUNTIME_SETTINGS = [
  'NODE_OPTIONS',
  'MALLOC_ARENA_MAX',
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_MMAP_THRESHOLD_',
] as const;

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
