/**
 * The CEL rules of a structural schema (`x-kubernetes-validations`), evaluated as the API server
 * does: `self` is the value at the rule's node after defaulting, a rule that is not true adds an
 * Invalid error at that node, and the error's "value" is the node's schema type, not the value
 * (k8s.io/apiextensions-apiserver prints `spec.interval: Invalid value: "string": <message>`).
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
    const detail = isCelError(result)
      ? `${result.message} evaluating rule: ${message?.trim() || rule.trim()}`
      : message?.trim() || `failed rule: ${rule.trim()}`;
    errors.push({
      field: path,
      type: 'FieldValueInvalid',
      message: `${path}: Invalid value: ${type}: ${detail}`,
    });
  }
  return errors;
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
