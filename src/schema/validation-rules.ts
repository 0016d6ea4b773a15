/**
 * The CEL rules of a structural schema (`x-kubernetes-validations`), evaluated as the API server
 * does: `self` is the value at the rule's node after defaulting, a rule that is false adds an
 * Invalid error at that node showing the value (`spec.interval: Invalid value: "10s": <message>`),
 * and a rule that fails to evaluate one showing the node's schema type instead
 * (`spec.interval: Invalid value: "string": <error> evaluating rule: <message>`).
 * @bufbuild/cel follows cel-go, which the API server runs, down to Go's duration syntax and range.
 */
import { type CelInput, celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import type { FieldError, StructuralSchema } from './structural-schema.js';

/** messageExpression, fieldPath and reason are not read: no rule in crds/ uses them. */
export interface ValidationRule {
  rule: string;
  /** Shown when the rule is false; the API server's default is `failed rule: <rule>`. */
  message?: string;
}

type Program = ReturnType<typeof compile>;

const env = celEnv();
const programs = new Map<string, Program>();

function compile(rule: string) {
  return plan(env, parse(rule));
}

function program(rule: string): Program {
  let compiled = programs.get(rule);
  if (!compiled) {
    compiled = compile(rule);
    programs.set(rule, compiled);
  }
  return compiled;
}

/** The errors of every rule on one schema node; `value` is already defaulted and pruned. */
export function checkRules(schema: StructuralSchema, value: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const type = JSON.stringify(schema.type ?? 'object');
  for (const { rule, message } of schema['x-kubernetes-validations'] ?? []) {
    const result = program(rule)({ self: celValue(schema, value) });
    if (result === true) continue;
    const shown = message?.trim() || (isCelError(result) ? rule.trim() : `failed rule: ${rule.trim()}`);
    const [invalidValue, detail] = isCelError(result)
      ? [type, `${goCelError(result.message)} evaluating rule: ${shown}`]
      : [printedValue(value, type), shown];
    errors.push({
      field: path,
      type: 'FieldValueInvalid',
      message: `${path}: Invalid value: ${invalidValue}: ${detail}`,
    });
  }
  return errors;
}

/** How field.Error prints a value: strings quoted, numbers and booleans bare, others by type. */
function printedValue(value: unknown, type: string): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return type;
}

/**
 * cel-go's words for an evaluation error where @bufbuild/cel's differ: a string that is no
 * duration (bad syntax or out of range) is a failed conversion to google.protobuf.Duration.
 */
function goCelError(message: string): string {
  return /duration/i.test(message)
    ? "type conversion error from 'string' to 'google.protobuf.Duration'"
    : message;
}

/** JSON as CEL sees it under this schema: integers are CEL ints (bigint), objects are maps. */
function celValue(schema: StructuralSchema, value: unknown): CelInput {
  if (schema.type === 'integer' && typeof value === 'number') return BigInt(value) as CelInput;
  if (Array.isArray(value)) {
    const items = schema.items ?? {};
    return value.map((item) => celValue(items, item)) as CelInput;
  }
  if (typeof value === 'object' && value !== null) {
    const properties = schema.properties ?? {};
    return Object.fromEntries(
      Object.entries(value).map(([name, child]) => [name, celValue(properties[name] ?? {}, child)]),
    ) as CelInput;
  }
  return value as CelInput;
}
