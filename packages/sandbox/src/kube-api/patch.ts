/**
 * JSON merge patch (RFC 7386) and JSON patch (RFC 6902), applied the way the API server applies
 * them to the current object before its update path runs: a malformed patch is the client's
 * syntax error (400), a well-formed patch that does not apply, such as a failed `test`, is 422.
 * Error wording follows the evanphx/json-patch library the API server uses.
 */
import { isRecord } from '../../../../src/schema/structural-schema.js';
import { sameContent } from './types.js';

export class PatchDecodeError extends Error {}
export class PatchApplyError extends Error {}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = mergePatch(result[key], value);
    }
  }
  return result;
}

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function decodeJsonPatch(body: unknown): Operation[] {
  if (!Array.isArray(body)) {
    throw new PatchDecodeError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  return body.map((raw) => {
    if (!isRecord(raw))
      throw new PatchDecodeError('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    const op = raw.op;
    if (typeof op !== 'string' || !OPS.has(op)) throw new PatchDecodeError(`Unexpected kind: ${String(op)}`);
    if (typeof raw.path !== 'string')
      throw new PatchDecodeError(`operation missing path: ${JSON.stringify(raw)}`);
    const operation: Operation = { op: op as Operation['op'], path: raw.path };
    if (op === 'move' || op === 'copy') {
      if (typeof raw.from !== 'string')
        throw new PatchDecodeError(`operation missing from: ${JSON.stringify(raw)}`);
      operation.from = raw.from;
    }
    if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in raw)) {
      throw new PatchDecodeError(`${op} operation missing value: ${JSON.stringify(raw)}`);
    }
    if ('value' in raw) operation.value = raw.value;
    return operation;
  });
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw new PatchApplyError(`JSON pointer must be empty or start with a "/": ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

/** The parent container of the pointer's last token, or undefined when a step is missing. */
function locate(doc: unknown, tokens: string[]): { parent: Container; key: string } | undefined {
  let cursor: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cursor)) {
      const index = Number(token);
      if (!/^\d+$/.test(token) || index >= cursor.length) return undefined;
      cursor = cursor[index];
    } else if (isRecord(cursor)) {
      if (!(token in cursor)) return undefined;
      cursor = cursor[token];
    } else {
      return undefined;
    }
  }
  const key = tokens[tokens.length - 1];
  if (key === undefined || !(Array.isArray(cursor) || isRecord(cursor))) return undefined;
  return { parent: cursor, key };
}

function getAt(doc: unknown, path: string): { found: boolean; value: unknown } {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return { found: true, value: doc };
  const loc = locate(doc, tokens);
  if (!loc) return { found: false, value: undefined };
  if (Array.isArray(loc.parent)) {
    const index = Number(loc.key);
    if (!/^\d+$/.test(loc.key) || index >= loc.parent.length) return { found: false, value: undefined };
    return { found: true, value: loc.parent[index] };
  }
  return loc.key in loc.parent
    ? { found: true, value: loc.parent[loc.key] }
    : { found: false, value: undefined };
}

function arrayIndex(parent: unknown[], key: string, path: string, allowEnd: boolean): number {
  if (key === '-' && allowEnd) return parent.length;
  const index = Number(key);
  if (!/^\d+$/.test(key) || index > parent.length || (!allowEnd && index === parent.length)) {
    throw new PatchApplyError(`Unable to access invalid index: ${key}: invalid index referenced: ${path}`);
  }
  return index;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return structuredClone(value);
  const loc = locate(doc, tokens);
  if (!loc)
    throw new PatchApplyError(`add operation does not apply: doc is missing path: "${path}": missing value`);
  if (Array.isArray(loc.parent)) {
    loc.parent.splice(arrayIndex(loc.parent, loc.key, path, true), 0, structuredClone(value));
  } else {
    loc.parent[loc.key] = structuredClone(value);
  }
  return doc;
}

function remove(doc: unknown, path: string, op: string): unknown {
  const tokens = parsePointer(path);
  const loc = tokens.length > 0 ? locate(doc, tokens) : undefined;
  if (!loc)
    throw new PatchApplyError(
      `${op} operation does not apply: doc is missing path: "${path}": missing value`,
    );
  if (Array.isArray(loc.parent)) {
    loc.parent.splice(arrayIndex(loc.parent, loc.key, path, false), 1);
  } else {
    if (!(loc.key in loc.parent)) {
      throw new PatchApplyError(`Unable to remove nonexistent key: ${loc.key}: missing value`);
    }
    delete loc.parent[loc.key];
  }
  return doc;
}

export function applyJsonPatch(document: unknown, operations: readonly Operation[]): unknown {
  let doc = structuredClone(document);
  for (const operation of operations) {
    const { op, path } = operation;
    switch (op) {
      case 'add':
        doc = add(doc, path, operation.value);
        break;
      case 'remove':
        doc = remove(doc, path, 'remove');
        break;
      case 'replace': {
        if (!getAt(doc, path).found) {
          throw new PatchApplyError(
            `replace operation does not apply: doc is missing key: ${path}: missing value`,
          );
        }
        if (parsePointer(path).length === 0) {
          doc = structuredClone(operation.value);
          break;
        }
        doc = remove(doc, path, 'replace');
        doc = add(doc, path, operation.value);
        break;
      }
      case 'move':
      case 'copy': {
        const from = operation.from ?? '';
        const source = getAt(doc, from);
        if (!source.found) {
          throw new PatchApplyError(
            `${op} operation does not apply: doc is missing from path: ${from}: missing value`,
          );
        }
        const value = structuredClone(source.value);
        if (op === 'move') doc = remove(doc, from, 'move');
        doc = add(doc, path, value);
        break;
      }
      case 'test': {
        const current = getAt(doc, path);
        if (!current.found && operation.value === null) break;
        if (!current.found || !sameContent(current.value, operation.value)) {
          throw new PatchApplyError(`testing value ${path} failed: test failed`);
        }
        break;
      }
    }
  }
  return doc;
}
