import { readFileSync } from 'node:fs';

/**
 * The operator's version, from the package.json beside dist/ (the image copies it there): one
 * source for `--version`, the start-up log line and the image tag.
 */
export function operatorVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}
