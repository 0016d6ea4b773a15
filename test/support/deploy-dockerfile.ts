/** One Dockerfile instruction, continuation lines joined, as written. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM. */
  globalArgs: Instruction[];
  stages: Stage[];
}

/** Enough of the Dockerfile grammar for static checks: comments, continuations, stages. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (pending === undefined && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending !== undefined && trimmed.startsWith('#')) return;
    const continued = trimmed.endsWith('\\');
    const piece = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending =
      pending === undefined
        ? { text: piece, line: index + 1 }
        : { ...pending, text: `${pending.text} ${piece}` };
    if (!continued) {
      const match = /^(\S+)\s*(.*)$/s.exec(pending.text);
      if (match?.[1])
        instructions.push({ keyword: match[1].toUpperCase(), args: match[2] ?? '', line: pending.line });
      pending = undefined;
    }
  });

  const dockerfile: Dockerfile = { globalArgs: [], stages: [] };
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      dockerfile.stages.push({
        image,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
      continue;
    }
    const stage = dockerfile.stages.at(-1);
    if (stage) stage.instructions.push(instruction);
    else dockerfile.globalArgs.push(instruction);
  }
  return dockerfile;
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

/** COPY's flags (`--from`, `--chown`, ...) and its sources and destination (shell form). */
export function parseCopy(args: string): Copy {
  const words = args.split(/\s+/).filter((word) => word !== '');
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
}

/** The JSON (exec) form of ENTRYPOINT or CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `LABEL a="x" b="y"` -> {a: 'x', b: 'y'} (double-quoted or bare values). */
export function parseLabels(args: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of args.matchAll(/([\w./-]+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) {
    const key = match[1];
    if (key) labels[key] = match[2] ?? match[3] ?? '';
  }
  return labels;
}

/**
 * Whether a .dockerignore pattern list excludes a context path. Covers the forms the file uses
 * (names, `*` globs, `**` prefixes, `!` exceptions); the last matching pattern wins, as in Docker.
 */
export function dockerIgnores(patterns: readonly string[], path: string): boolean {
  const glob = (part: string) =>
    part
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
  const toRegExp = (pattern: string) =>
    new RegExp(`^${pattern.replace(/^\/+/, '').split('**/').map(glob).join('(?:.*/)?')}(?:/.*)?$`);
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (toRegExp(negated ? pattern.slice(1) : pattern).test(path)) ignored = !negated;
  }
  return ignored;
}

export function dockerignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
