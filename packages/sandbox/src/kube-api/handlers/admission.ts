/**
 * The decoding steps every write shares, in the API server's order: the body must be an object
 * of this endpoint's kind (400), the names and namespace must agree with the URL (400), then the
 * resource's admission prunes and defaults; fieldValidation decides what pruning means (Strict:
 * 400, Warn: a Warning header, Ignore: nothing); schema errors come back for a 422 later, after
 * the server-owned fields are set.
 */
import type { UnknownFieldPolicy } from '../../../../../src/schema/structural-schema.js';
import { type ApiRequest, fieldValidation, unknownFieldWarnings } from '../api-request.js';
import { decodeObjectBody } from '../http-io.js';
import { type AdmitContext, apiVersionOf, type ResourceType } from '../resources/index.js';
import { badRequest, type InvalidField } from '../status.js';
import { isKubeObject, type KubeObject } from '../types.js';

export async function decodeObject(r: ApiRequest): Promise<KubeObject> {
  const body = decodeObjectBody(await r.body(), r.req.headers['content-type']);
  return checkTypeMeta(r.rt, body, fieldValidation(r.query));
}

/**
 * Custom resources must name their apiVersion and kind; built-in kinds may leave them out and
 * get the endpoint's. Built-in kinds may not name another. A custom resource naming another
 * kind is left to validation (a 422 on `kind`), and one naming an unserved version of its group
 * is decoded without a schema, so under Strict its every field but the type and metadata is an
 * unknown one (400), as kube-apiserver answers both.
 */
export function checkTypeMeta(
  rt: ResourceType,
  body: unknown,
  policy: UnknownFieldPolicy = 'Strict',
): KubeObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(
      `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: the body must be a JSON object`,
    );
  }
  const obj = body as Record<string, unknown>;
  const expected = apiVersionOf(rt);
  const custom = rt.customResource;
  if (obj.kind === undefined || obj.kind === '') {
    if (custom) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(obj)}'`);
    obj.kind = rt.kind;
  }
  if (obj.apiVersion === undefined || obj.apiVersion === '') {
    if (custom) throw badRequest(`Object 'apiVersion' is missing in '${JSON.stringify(obj)}'`);
    obj.apiVersion = expected;
  }
  const unserved =
    custom &&
    policy === 'Strict' &&
    String(obj.apiVersion).startsWith(`${rt.group}/`) &&
    obj.apiVersion !== expected;
  const undeclared = Object.keys(obj).filter((key) => !['apiVersion', 'kind', 'metadata'].includes(key));
  if (unserved && undeclared.length > 0) {
    const version = String(obj.apiVersion).slice(rt.group.length + 1);
    const fields = undeclared.map((f) => `unknown field "${f}"`).join(', ');
    throw badRequest(
      `${rt.kind} in version "${version}" cannot be handled as a ${rt.kind}: strict decoding error: ${fields}`,
    );
  }
  if (obj.apiVersion !== expected) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (obj.kind !== rt.kind && !custom) {
    throw badRequest(
      `the kind in the data (${String(obj.kind)}) does not match the expected kind (${rt.kind})`,
    );
  }
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (!isKubeObject(obj)) {
    throw badRequest(
      `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: metadata must be an object`,
    );
  }
  return obj;
}

/** Puts the object in the URL's namespace; a different one in the body is refused as the server does. */
export function placeInNamespace(rt: ResourceType, obj: KubeObject, namespace: string | undefined): void {
  if (!rt.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const given = obj.metadata.namespace;
  if (given !== undefined && given !== '' && given !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  obj.metadata.namespace = namespace ?? '';
}

export interface Admitted {
  object: KubeObject;
  errors: InvalidField[];
  headers: Record<string, string[]>;
}

export function admit(
  rt: ResourceType,
  obj: KubeObject,
  ctx: AdmitContext,
  policy: UnknownFieldPolicy,
): Admitted {
  const admission = rt.admit(obj, ctx);
  if (admission.decodeErrors.length > 0) throw badRequest(admission.decodeErrors.join('; '));
  if (policy === 'Strict' && admission.unknownFields.length > 0) {
    const fields = admission.unknownFields.map((f) => `unknown field "${f}"`).join(', ');
    throw badRequest(
      `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${fields}`,
    );
  }
  return {
    object: admission.object,
    errors: admission.errors,
    headers: policy === 'Warn' ? unknownFieldWarnings(admission.unknownFields) : {},
  };
}
