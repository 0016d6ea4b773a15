/**
 * Failures as the API server reports them: a metav1.Status with the HTTP code, a machine-readable
 * reason and, where the real server gives them, details naming the object and the fields. Clients
 * (client-go, client-node, kubectl) branch on `code` and `reason`, so both must match.
 */

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** What the messages call a resource: `checkpointshares.checkpointshare.io`, or `secrets` in the core group. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toStatus(): KubeStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

function objectDetails(gr: GroupResource, name: string): StatusDetails {
  return { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource };
}

export function notFound(gr: GroupResource, name: string): KubeError {
  return new KubeError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, objectDetails(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): KubeError {
  return new KubeError(
    409,
    'AlreadyExists',
    `${qualified(gr)} "${name}" already exists`,
    objectDetails(gr, name),
  );
}

/** The optimistic-concurrency failure; wording as k8s.io/apiserver's OptimisticLockErrorMsg. */
export function conflict(gr: GroupResource, name: string, why?: string): KubeError {
  const reason =
    why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return new KubeError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${reason}`,
    objectDetails(gr, name),
  );
}

export interface InvalidField {
  field: string;
  type: string;
  message: string;
}

/**
 * 422 Invalid. `message` is the whole summary (`Kind.group "name" is invalid: ...`); each cause
 * carries the field and the error without its field prefix, as apimachinery's ErrorBody does.
 */
export function invalid(
  kind: { group: string; kind: string },
  name: string,
  message: string,
  errors: readonly InvalidField[],
): KubeError {
  return new KubeError(422, 'Invalid', message, {
    name,
    ...(kind.group ? { group: kind.group } : {}),
    kind: kind.kind,
    causes: errors.map((e) => ({
      reason: e.type,
      message: e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message,
      field: e.field,
    })),
  });
}

/** The summary line for kinds other than CheckpointShare (which uses src/api's formatErrors). */
export function invalidMessage(
  kind: { group: string; kind: string },
  name: string,
  errors: readonly InvalidField[],
): string {
  const list = errors.map((e) => e.message);
  const detail = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  const qualifiedKind = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  return `${qualifiedKind} "${name}" is invalid: ${detail}`;
}

export function badRequest(message: string): KubeError {
  return new KubeError(400, 'BadRequest', message);
}

export function methodNotAllowed(): KubeError {
  return new KubeError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

/** 405 for a resource that is served for reading only; `why` is what kubectl prints to the user. */
export function readOnly(gr: GroupResource, why: string): KubeError {
  return new KubeError(405, 'MethodNotAllowed', why, {
    ...(gr.group ? { group: gr.group } : {}),
    kind: gr.resource,
  });
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): KubeError {
  return new KubeError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnsupportedMediaType', message: `unsupported media type: ${contentType}` }] },
  );
}

export function notAcceptable(): KubeError {
  return new KubeError(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/yaml',
  );
}

export function unauthorized(): KubeError {
  return new KubeError(401, 'Unauthorized', 'Unauthorized');
}

/** What RBAC answers a user with no role for this verb and resource in the namespace. */
export function forbidden(verb: string, resource: string, group: string, namespace: string): KubeError {
  const qualifiedResource = group ? `${resource}.${group}` : resource;
  return new KubeError(
    403,
    'Forbidden',
    `${qualifiedResource} is forbidden: User "system:serviceaccount:stand-in:operator" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${namespace}"`,
  );
}

export function tooManyRequests(retryAfterSeconds: number): KubeError {
  return new KubeError(
    429,
    'TooManyRequests',
    'Too many requests, please try again later.',
    { retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function internalError(message: string): KubeError {
  return new KubeError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** 410 Gone, reason Expired: the event history no longer reaches back to the requested version. */
export function expired(message: string): KubeError {
  return new KubeError(410, 'Expired', message);
}

export function pathNotFound(): KubeError {
  return new KubeError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function requestTooLarge(limit: number): KubeError {
  return new KubeError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}
