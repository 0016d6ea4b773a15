/**
 * Label and field selectors with the grammar of k8s.io/apimachinery's labels.Parse and
 * fields.ParseSelector. A selector the real server would refuse is refused here too (400), so a
 * typo in an informer's selector fails in tests instead of silently matching everything.
 */
import { badRequest } from './status.js';
import type { KubeObject } from './types.js';

type LabelOperator = 'exists' | 'notExists' | 'equals' | 'notEquals' | 'in' | 'notIn' | 'gt' | 'lt';

interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type LabelSelector = readonly LabelRequirement[];

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Problems with a label key, in apimachinery's words; empty when the key is valid. */
export function labelKeyProblems(key: string): string[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const problems: string[] = [];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    problems.push(
      'prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters',
    );
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    problems.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return problems;
}

export function labelValueProblems(value: string): string[] {
  if (value.length > 63) return ['must be no more than 63 characters'];
  if (!LABEL_VALUE.test(value)) {
    return [
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ];
  }
  return [];
}

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '<' | '>' };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      tokens.push({ kind: 'op', text: two });
      i += 2;
      continue;
    }
    if (c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '<' || c === '>') {
      tokens.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !/[\s=!(),<>]/.test(input.charAt(j))) j++;
    tokens.push({ kind: 'word', text: input.slice(i, j) });
    i = j;
  }
  return tokens;
}

export function parseLabelSelector(input: string | undefined): LabelSelector {
  if (input === undefined || input.trim() === '') return [];
  const tokens = tokenize(input);
  const requirements: LabelRequirement[] = [];
  let pos = 0;
  const fail = (why: string): never => {
    throw badRequest(`unable to parse requirement: ${why}`);
  };
  const next = (): Token | undefined => tokens[pos++];
  const peek = (): Token | undefined => tokens[pos];
  const word = (): string => {
    const t = next();
    if (t?.kind !== 'word') return fail(`found '${t?.text ?? 'end of string'}', expected: identifier`);
    return t.text;
  };
  const valueList = (): string[] => {
    const open = next();
    if (open?.text !== '(') return fail(`found '${open?.text ?? 'end of string'}', expected: '('`);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const t = next();
      if (t === undefined) return fail(`found 'end of string', expected: ')'`);
      if (t.kind === 'word' && expectValue) {
        values.push(t.text);
        expectValue = false;
      } else if (t.text === ',') {
        if (expectValue) values.push('');
        expectValue = true;
      } else if (t.text === ')') {
        if (expectValue && values.length > 0) values.push('');
        if (values.length === 0) return fail("for 'in', 'notin' operators, values set can't be empty");
        return values;
      } else {
        return fail(`found '${t.text}', expected: ',' or ')'`);
      }
    }
  };
  while (pos < tokens.length) {
    let negated = false;
    if (peek()?.text === '!') {
      negated = true;
      pos++;
    }
    const key = word();
    const keyProblems = labelKeyProblems(key);
    if (keyProblems.length > 0) fail(`Invalid value: "${key}": ${keyProblems.join('; ')}`);
    const t = peek();
    if (negated) {
      requirements.push({ key, operator: 'notExists', values: [] });
    } else if (t === undefined || t.text === ',') {
      requirements.push({ key, operator: 'exists', values: [] });
    } else if (t.text === '=' || t.text === '==' || t.text === '!=') {
      pos++;
      const after = peek();
      let value = '';
      if (after?.kind === 'word') {
        value = after.text;
        pos++;
      }
      const valueProblems = labelValueProblems(value);
      if (valueProblems.length > 0) fail(`Invalid value: "${value}": ${valueProblems.join('; ')}`);
      requirements.push({ key, operator: t.text === '!=' ? 'notEquals' : 'equals', values: [value] });
    } else if (t.kind === 'word' && (t.text === 'in' || t.text === 'notin')) {
      pos++;
      requirements.push({ key, operator: t.text === 'in' ? 'in' : 'notIn', values: valueList() });
    } else if (t.text === '<' || t.text === '>') {
      pos++;
      const bound = word();
      if (!/^-?\d+$/.test(bound)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
      requirements.push({ key, operator: t.text === '>' ? 'gt' : 'lt', values: [bound] });
    } else {
      fail(`found '${t.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const sep = next();
    if (sep !== undefined && sep.text !== ',') fail(`found '${sep.text}', expected: ','`);
  }
  return requirements;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return selector.every(({ key, operator, values }) => {
    const value = labels?.[key];
    switch (operator) {
      case 'exists':
        return value !== undefined;
      case 'notExists':
        return value === undefined;
      case 'equals':
      case 'in':
        return value !== undefined && values.includes(value);
      case 'notEquals':
      case 'notIn':
        return value === undefined || !values.includes(value);
      case 'gt':
      case 'lt': {
        if (value === undefined || !/^-?\d+$/.test(value)) return false;
        const bound = Number(values[0]);
        return operator === 'gt' ? Number(value) > bound : Number(value) < bound;
      }
      default:
        return false;
    }
  });
}

interface FieldRequirement {
  field: string;
  value: string;
  negated: boolean;
}

export type FieldSelector = readonly FieldRequirement[];

/** Splits on an unescaped separator; `\,`, `\=` and `\\` escape, as fields.ParseSelector allows. */
function splitUnescaped(input: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const c = input.charAt(i);
    if (c === '\\' && i + 1 < input.length) {
      current += c + input.charAt(i + 1);
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeSelectorValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/**
 * Parses a field selector and checks every field against the ones the resource supports;
 * `unsupported(field)` builds the refusal with the resource's own wording.
 */
export function parseFieldSelector(
  input: string | undefined,
  supported: ReadonlySet<string>,
  unsupported: (field: string) => string,
): FieldSelector {
  if (input === undefined || input.trim() === '') return [];
  return splitUnescaped(input, ',').map((term) => {
    const match = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!match) throw badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    const field = (match[1] ?? '').trim();
    if (!supported.has(field)) throw badRequest(unsupported(field));
    return { field, value: unescapeSelectorValue(match[3] ?? ''), negated: match[2] === '!=' };
  });
}

export function matchesFields(selector: FieldSelector, fieldValue: (field: string) => string): boolean {
  return selector.every(({ field, value, negated }) => (fieldValue(field) === value) !== negated);
}

/** What a list or watch selects: a namespace (or all), labels and fields. */
export interface ObjectFilter {
  namespace: string | undefined;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
}

export function matchesFilter(
  filter: ObjectFilter,
  fieldLabels: ReadonlyMap<string, (obj: KubeObject) => string>,
  obj: KubeObject,
): boolean {
  if (filter.namespace !== undefined && (obj.metadata.namespace ?? '') !== filter.namespace) return false;
  if (!matchesLabels(filter.labelSelector, obj.metadata.labels)) return false;
  return matchesFields(filter.fieldSelector, (field) => fieldLabels.get(field)?.(obj) ?? '');
}
