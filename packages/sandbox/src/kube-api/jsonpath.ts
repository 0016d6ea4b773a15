/**
 * The subset of Kubernetes JSONPath that CRD printer columns use: `.a.b`, `[n]`, `[*]` and
 * filters `[?(@.key=="value")]`. The API server only allows simple paths there, so this covers
 * what a CRD may declare.
 */
import { isRecord } from '../../../../src/schema/structural-schema.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; value: string };

function parse(path: string): Step[] {
  const steps: Step[] = [];
  const text = path.replace(/^\{(.*)\}$/, '$1');
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '.') {
      const match = /^\.([A-Za-z0-9_-]+)/.exec(text.slice(i));
      if (!match?.[1]) throw new Error(`unsupported JSONPath ${path}`);
      steps.push({ kind: 'field', name: match[1] });
      i += match[0].length;
    } else if (c === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) throw new Error(`unsupported JSONPath ${path}`);
      const inner = text.slice(i + 1, close);
      const filter = /^\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*["'](.*)["']\)$/.exec(inner);
      if (inner === '*') {
        steps.push({ kind: 'all' });
      } else if (/^\d+$/.test(inner)) {
        steps.push({ kind: 'index', index: Number(inner) });
      } else if (filter?.[1] !== undefined && filter[2] !== undefined) {
        steps.push({ kind: 'filter', path: filter[1].split('.'), value: filter[2] });
      } else {
        throw new Error(`unsupported JSONPath ${path}`);
      }
      i = close + 1;
    } else {
      throw new Error(`unsupported JSONPath ${path}`);
    }
  }
  return steps;
}

function read(value: unknown, path: readonly string[]): unknown {
  let cursor = value;
  for (const name of path) {
    if (!isRecord(cursor)) return undefined;
    cursor = cursor[name];
  }
  return cursor;
}

/** Every value the path selects, in document order. */
export function evaluate(root: unknown, path: string): unknown[] {
  let current: unknown[] = [root];
  for (const step of parse(path)) {
    const next: unknown[] = [];
    for (const value of current) {
      if (step.kind === 'field' && isRecord(value) && value[step.name] !== undefined) {
        next.push(value[step.name]);
      } else if (step.kind === 'index' && Array.isArray(value) && step.index < value.length) {
        next.push(value[step.index]);
      } else if (step.kind === 'all' && Array.isArray(value)) {
        next.push(...value);
      } else if (step.kind === 'filter' && Array.isArray(value)) {
        next.push(
          ...value.filter((item) => {
            const field = read(item, step.path);
            return field !== undefined && String(field) === step.value;
          }),
        );
      }
    }
    current = next;
  }
  return current;
}
