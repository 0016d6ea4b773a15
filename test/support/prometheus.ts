/** One sample of the Prometheus text exposition format (0.0.4). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed /metrics page: every sample, and each family's `# TYPE` and `# HELP`. */
export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

function parseValue(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  // Prometheus parses values with Go's strconv.ParseFloat, which takes NaN in any case;
  // prom-client writes 'Nan' (an event-loop lag gauge before its first sample).
  if (raw.toLowerCase() === 'nan') return Number.NaN;
  const value = Number(raw);
  if (Number.isNaN(value)) throw new Error(`not a sample value: ${JSON.stringify(raw)}`);
  return value;
}

function parseLabels(raw: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < raw.length) {
    const match = LABEL.exec(raw);
    if (!match?.[1] || match[2] === undefined) throw new Error(`malformed labels in ${JSON.stringify(line)}`);
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** Parses the text format strictly: a line that is neither a comment nor a sample throws. */
export function parsePrometheusText(text: string): Exposition {
  const exposition: Exposition = { samples: [], types: new Map(), help: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const comment = /^#\s+(HELP|TYPE)\s+(\S+)\s?(.*)$/.exec(line);
    if (comment?.[1] && comment[2]) {
      (comment[1] === 'TYPE' ? exposition.types : exposition.help).set(comment[2], comment[3] ?? '');
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match?.[1] || !match[3]) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    exposition.samples.push({
      name: match[1],
      labels: match[2] ? parseLabels(match[2], line) : {},
      value: parseValue(match[3]),
    });
  }
  return exposition;
}

/** The samples of one name whose labels include every label in `match`. */
export function samplesOf(
  exposition: Exposition,
  name: string,
  match: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}

/** Sum of the matching samples (0 when there are none, as for a counter never incremented). */
export function sumOf(exposition: Exposition, name: string, match: Record<string, string> = {}): number {
  return samplesOf(exposition, name, match).reduce((total, s) => total + s.value, 0);
}
