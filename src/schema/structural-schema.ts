/**
 * A validator for Kubernetes structural schemas (the openAPIV3Schema of a CRD), doing what the
 * API server does on create and update: apply defaults, prune or report unknown fields, check
 * types, patterns, enums, bounds, list-type uniqueness and the CEL rules of
 * `x-kubernetes-validations`, and report each problem with the field path and the wording of
 * k8s.io/apimachinery's field errors, so messages read the same here, in the local stand-in and
 * against a real cluster.
 */
import { checkRules, type ValidationRule } from './validation-rules.js';

export interface StructuralSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, StructuralSchema>;
  /** A map: every key is allowed and each value follows this schema (properties must be absent). */
  additionalProperties?: StructuralSchema;
  required?: string[];
  items?: StructuralSchema;
  pattern?: string;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  maxItems?: number;
  minItems?: number;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
}

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTooMany'
  | 'FieldValueTooLong'
  | 'FieldValueTypeInvalid'
  | 'FieldValueUnknown';

export interface FieldError {
  /** The path as Kubernetes prints it: spec.projectIds[1]. */
  field: string;
  type: FieldErrorType;
  /** The full message, field path first. */
  message: string;
}

/** What the API server does with fields the schema does not declare (its fieldValidation). */
export type UnknownFieldPolicy = 'Strict' | 'Warn' | 'Ignore';

export interface SchemaValidation {
  /** A defaulted, pruned deep copy of the input. */
  value: unknown;
  errors: FieldError[];
  /** Paths of fields that were pruned (reported as errors too under Strict). */
  unknownFields: string[];
}

/** Paths whose content the schema leaves to someone else (metadata is validated by the server). */
const OPAQUE_OBJECTS = new Set(['metadata']);

export function validateStructural(
  schema: StructuralSchema,
  input: unknown,
  unknownFields: UnknownFieldPolicy = 'Strict',
  earlier: readonly FieldError[] = [],
): SchemaValidation {
  const errors: FieldError[] = [];
  const pruned: string[] = [];
  const ruleErrors: FieldError[] = [];
  const value = walk(schema, structuredClone(input), '', { errors, pruned, ruleErrors });
  // As the API server does: CEL rules count only when the object passed the checks they rely on,
  // its metadata's (`earlier`) included.
  if ([...earlier, ...errors].some((e) => BLOCKING_CEL.has(e.type))) {
    if (hasRules(schema)) errors.push(RULES_NOT_CHECKED);
  } else {
    errors.push(...ruleErrors);
  }
  if (unknownFields === 'Strict') {
    for (const field of pruned) {
      errors.push({
        field,
        type: 'FieldValueUnknown',
        message: `${field}: Unknown field: field not declared in schema`,
      });
    }
  }
  return { value, errors, unknownFields: pruned };
}

/** What a walk finds; rule errors are held apart until the other checks are known. */
interface Found {
  errors: FieldError[];
  pruned: string[];
  ruleErrors: FieldError[];
}

/** field.ErrorTypes after which the API server skips CEL rules (apiextensions' hasBlockingErr). */
const BLOCKING_CEL: ReadonlySet<FieldErrorType> = new Set([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);

const RULES_NOT_CHECKED: FieldError = {
  field: '<nil>',
  type: 'FieldValueInvalid',
  message:
    '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

function hasRules(schema: StructuralSchema): boolean {
  return (
    (schema['x-kubernetes-validations']?.length ?? 0) > 0 ||
    Object.values(schema.properties ?? {}).some(hasRules) ||
    (schema.items !== undefined && hasRules(schema.items))
  );
}

function walk(schema: StructuralSchema, value: unknown, path: string, found: Found): unknown {
  const checked = checkValue(schema, value, path, found);
  if (checked !== null && checked !== undefined && !typeProblem(schema, checked)) {
    found.ruleErrors.push(...checkRules(schema, checked, path));
  }
  return checked;
}

function checkValue(schema: StructuralSchema, value: unknown, path: string, found: Found): unknown {
  const { errors } = found;
  if (value === null || value === undefined) return value;
  const problem = typeProblem(schema, value);
  if (problem) {
    errors.push(invalidType(path, schema.type ?? 'object', value));
    return value;
  }
  if (schema.enum && !schema.enum.some((allowed) => allowed === value)) {
    const supported = schema.enum.map((v) => JSON.stringify(v)).join(', ');
    errors.push({
      field: path,
      type: 'FieldValueNotSupported',
      message: `${path}: Unsupported value: ${JSON.stringify(value)}: supported values: ${supported}`,
    });
  }
  if (typeof value === 'string') checkString(schema, value, path, errors);
  if (typeof value === 'number') checkNumber(schema, value, path, errors);
  if (Array.isArray(value)) return walkArray(schema, value, path, found);
  if (isRecord(value)) return walkObject(schema, value, path, found);
  return value;
}

function walkObject(
  schema: StructuralSchema,
  value: Record<string, unknown>,
  path: string,
  found: Found,
): Record<string, unknown> {
  const { errors, pruned } = found;
  if (OPAQUE_OBJECTS.has(path) || schema['x-kubernetes-preserve-unknown-fields']) return value;
  const values = schema.additionalProperties;
  if (values !== undefined) {
    for (const name of Object.keys(value)) value[name] = walk(values, value[name], join(path, name), found);
    return value;
  }
  const properties = schema.properties ?? {};
  for (const [name, child] of Object.entries(properties)) {
    if ((value[name] === undefined || value[name] === null) && child.default !== undefined) {
      value[name] = structuredClone(child.default);
    }
  }
  for (const name of schema.required ?? []) {
    if (value[name] === undefined || value[name] === null) {
      const field = join(path, name);
      errors.push({ field, type: 'FieldValueRequired', message: `${field}: Required value` });
    }
  }
  for (const name of Object.keys(value)) {
    const child = properties[name];
    const field = join(path, name);
    if (!child) {
      pruned.push(field);
      delete value[name];
      continue;
    }
    value[name] = walk(child, value[name], field, found);
  }
  return value;
}

function walkArray(schema: StructuralSchema, value: unknown[], path: string, found: Found): unknown[] {
  const { errors } = found;
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errors.push({
      field: path,
      type: 'FieldValueTooMany',
      message: `${path}: Too many: ${value.length}: must have at most ${schema.maxItems} items`,
    });
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errors.push({
      field: path,
      type: 'FieldValueInvalid',
      message: `${path}: Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items`,
    });
  }
  const items = schema.items;
  const out = items ? value.map((item, i) => walk(items, item, `${path}[${i}]`, found)) : value;
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set') checkSetUnique(out, path, errors);
  if (listType === 'map') checkMapKeysUnique(out, schema['x-kubernetes-list-map-keys'] ?? [], path, errors);
  return out;
}

function checkSetUnique(list: unknown[], path: string, errors: FieldError[]): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) {
      const field = `${path}[${i}]`;
      errors.push({ field, type: 'FieldValueDuplicate', message: `${field}: Duplicate value: ${key}` });
    }
    seen.add(key);
  });
}

function checkMapKeysUnique(list: unknown[], keys: string[], path: string, errors: FieldError[]): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (!isRecord(item)) return;
    const key = JSON.stringify(Object.fromEntries(keys.map((k) => [k, item[k]])));
    if (seen.has(key)) {
      const field = `${path}[${i}]`;
      errors.push({ field, type: 'FieldValueDuplicate', message: `${field}: Duplicate value: ${key}` });
    }
    seen.add(key);
  });
}

function checkString(schema: StructuralSchema, value: string, path: string, errors: FieldError[]): void {
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    errors.push({
      field: path,
      type: 'FieldValueTooLong',
      message: `${path}: Too long: may not be more than ${schema.maxLength} bytes`,
    });
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    errors.push(invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push(invalid(path, value, `${path} in body should match '${schema.pattern}'`));
  }
  if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) {
    errors.push(invalid(path, value, `${path} in body must be of type date-time: ${JSON.stringify(value)}`));
  }
}

function checkNumber(schema: StructuralSchema, value: number, path: string, errors: FieldError[]): void {
  if (schema.minimum !== undefined && value < schema.minimum) {
    errors.push(invalid(path, value, `${path} in body should be greater than or equal to ${schema.minimum}`));
  }
  if (schema.maximum !== undefined && value > schema.maximum) {
    errors.push(invalid(path, value, `${path} in body should be less than or equal to ${schema.maximum}`));
  }
}

function typeProblem(schema: StructuralSchema, value: unknown): boolean {
  switch (schema.type) {
    case undefined:
      return false;
    case 'object':
      return !isRecord(value);
    case 'array':
      return !Array.isArray(value);
    case 'string':
      return typeof value !== 'string';
    case 'boolean':
      return typeof value !== 'boolean';
    case 'integer':
      return typeof value !== 'number' || !Number.isInteger(value);
    case 'number':
      return typeof value !== 'number';
    default:
      return true;
  }
}

function invalidType(path: string, expected: string, value: unknown): FieldError {
  // The API server's JSON decoder tells integers from other numbers: 42 is an "integer".
  const actual = Array.isArray(value)
    ? 'array'
    : value === null
      ? 'null'
      : Number.isInteger(value)
        ? 'integer'
        : typeof value;
  return {
    ...invalid(
      path,
      actual,
      `${path || 'body'} in body must be of type ${expected}: ${JSON.stringify(actual)}`,
    ),
    type: 'FieldValueTypeInvalid',
  };
}

function invalid(path: string, value: unknown, detail: string): FieldError {
  return {
    field: path,
    type: 'FieldValueInvalid',
    message: `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`,
  };
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
