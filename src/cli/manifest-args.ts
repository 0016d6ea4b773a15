import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { ConfigError } from '../config.js';

/** What every command that reads manifests takes, as kubectl spells it. */
export interface ManifestArgs {
  files: string[];
  recursive: boolean;
  /** Namespace of manifests that name none. */
  namespace: string;
  output: string;
  /** The command's own flags, as parsed. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

/**
 * -f/--filename (repeatable), -R, -n and -o, plus the command's own flags. `outputs[0]` is the
 * default output. With `pathsAsFiles`, paths after the flags count as -f (a pre-commit hook
 * appends the staged files). Throws ConfigError with one line naming what is wrong.
 */
export function parseManifestArgs(
  argv: readonly string[],
  {
    own = {},
    outputs,
    pathsAsFiles = false,
  }: { own?: ParseArgsOptionsConfig; outputs: readonly string[]; pathsAsFiles?: boolean },
): ManifestArgs {
  let parsed: { values: ManifestArgs['values']; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        recursive: { type: 'boolean', short: 'R' },
        namespace: { type: 'string', short: 'n' },
        output: { type: 'string', short: 'o' },
        ...own,
      },
      strict: true,
      allowPositionals: pathsAsFiles,
    });
  } catch (error: unknown) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const files = [...((values.filename as string[] | undefined) ?? []), ...positionals];
  if (files.length === 0)
    throw new ConfigError('no manifests: give -f PATH (a file, a folder or - for stdin)');
  const output = (values.output as string | undefined) ?? outputs[0] ?? '';
  if (!outputs.includes(output))
    throw new ConfigError(`--output must be ${outputs.join(' or ')}, got ${JSON.stringify(output)}`);
  return {
    files,
    recursive: values.recursive === true,
    namespace: (values.namespace as string | undefined) ?? 'default',
    output,
    values,
  };
}
