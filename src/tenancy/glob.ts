/**
 * The globs of a CheckpointSharePolicy: matched against the whole id, `*` matches any run of
 * characters (`:` included) and nothing else is special, so an id without `*` matches only
 * itself. Compiled once per policy spec, then used on every share of every pass.
 */
export type Glob = (id: string) => boolean;

export function compileGlob(pattern: string): Glob {
  if (!pattern.includes('*')) return (id) => id === pattern;
  const escaped = pattern.split('*').map((part) => part.replace(/[\\^$.|?+()[\]{}/-]/g, '\\$&'));
  const regex = new RegExp(`^${escaped.join('.*')}$`, 's');
  return (id) => regex.test(id);
}

/** True when any of the globs matches the id. */
export function anyMatches(globs: readonly Glob[], id: string): boolean {
  return globs.some((glob) => glob(id));
}
