/**
 * Admission for built-in kinds. The real server decodes them into Go structs: a field of the
 * wrong type or a timestamp in the wrong layout fails decoding (400) before validation runs,
 * and undeclared fields are dropped by the decoder. The structural schemas here declare only
 * fields and types, so src/api's validator does the pruning and type checks; what each kind's
 * validation adds is written beside the kind.
 */
import {
  type FieldError,
  type StructuralSchema,
  validateStructural,
} from '../../../../../src/schema/structural-schema.js';
import { admitMetadata } from '../metadata.js';
import type { InvalidField } from '../status.js';
import { type KubeObject, readPath } from '../types.js';
import type { Admission } from './resource-type.js';

/** metav1.MicroTime is encoded with exactly six fractional digits; anything else fails to decode. */
const MICRO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
/** metav1.Time is RFC 3339; Go's parser accepts fractional seconds there too. */
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export const MICRO_TIME_LAYOUT = '2006-01-02T15:04:05.000000Z07:00';

export const string: StructuralSchema = { type: 'string' };
export const integer: StructuralSchema = { type: 'integer' };
export const boolean: StructuralSchema = { type: 'boolean' };
export const metadata: StructuralSchema = { type: 'object' };

export function object(properties: Record<string, StructuralSchema>): StructuralSchema {
  return { type: 'object', properties };
}

export function stringMap(): StructuralSchema {
  return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
}

export function typeMeta(): Record<string, StructuralSchema> {
  return { apiVersion: string, kind: string, metadata };
}

export function microTimeProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && MICRO_TIME.test(value) && !Number.isNaN(Date.parse(value)))
    return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const fraction = /T\d{2}:\d{2}:\d{2}(.*)$/.exec(text)?.[1] ?? text;
  return `parsing time "${text}" as "${MICRO_TIME_LAYOUT}": cannot parse "${fraction}" as ".000000"`;
}

export function timeProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && TIME.test(value) && !Number.isNaN(Date.parse(value))) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `parsing time "${text}" as "2006-01-02T15:04:05Z07:00": cannot parse "${text}" as "2006"`;
}

export interface BuiltinRules {
  kind: string;
  version: string;
  schema: StructuralSchema;
  microTimeFields?: readonly string[];
  timeFields?: readonly string[];
  validateName?: (meta: unknown) => FieldError[];
  /** The kind's own validation, on the defaulted object (422 errors). */
  validate?: (obj: KubeObject, old: KubeObject | undefined) => InvalidField[];
  defaults?: (obj: KubeObject) => void;
}

export function admitBuiltin(rules: BuiltinRules, input: KubeObject, old: KubeObject | undefined): Admission {
  const structural = validateStructural(rules.schema, input, 'Ignore');
  const object = structural.value as KubeObject;
  const meta = admitMetadata(object, rules.validateName);
  const problems = [
    ...meta.decodeErrors,
    ...structural.errors.map((e) => e.message),
    ...(rules.microTimeFields ?? []).flatMap((path) => microTimeProblem(readPath(object, path)) ?? []),
    ...(rules.timeFields ?? []).flatMap((path) => timeProblem(readPath(object, path)) ?? []),
  ];
  const unknownFields = [...meta.unknownFields, ...structural.unknownFields];
  if (problems.length > 0) {
    const decodeErrors = [
      `${rules.kind} in version "${rules.version}" cannot be handled as a ${rules.kind}: ${problems.join('; ')}`,
    ];
    return { object, errors: [], unknownFields, decodeErrors };
  }
  rules.defaults?.(object);
  const errors = [...meta.errors, ...(rules.validate?.(object, old) ?? [])];
  return { object, errors, unknownFields, decodeErrors: [] };
}

export function required(field: string): InvalidField {
  return { field, type: 'FieldValueRequired', message: `${field}: Required value` };
}

export function invalidField(field: string, value: unknown, detail: string): InvalidField {
  return {
    field,
    type: 'FieldValueInvalid',
    message: `${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`,
  };
}

export function immutable(field: string, value: unknown): InvalidField {
  return invalidField(field, value, 'field is immutable');
}

export function forbidden(field: string, detail: string): InvalidField {
  return { field, type: 'FieldValueForbidden', message: `${field}: Forbidden: ${detail}` };
}
