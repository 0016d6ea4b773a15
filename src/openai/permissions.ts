/**
 * The one interface the operator uses to talk to OpenAI about checkpoint permissions.
 * Implementations classify every failure into the kinds of ./errors.ts at this boundary, so
 * nothing above it inspects HTTP statuses or SDK error classes.
 */

export interface Permission {
  /** cp_... */
  id: string;
  projectId: string;
  /** Unix seconds, as OpenAI returns it. */
  createdAt: number;
}

export interface GrantFailure {
  projectId: string;
  /** InvalidProject or OwningProject. */
  reason: 'InvalidProject' | 'OwningProject';
  message: string;
}

export interface GrantResult {
  granted: Permission[];
  /** Projects that can never be granted as things stand (terminal, per project). */
  failed: GrantFailure[];
}

/**
 * What a list found, as Crossplane's ExternalObservation.ResourceExists: a checkpoint that is
 * gone is an answer (nothing left to grant or revoke), not an error.
 */
export type Observation = { exists: false } | { exists: true; permissions: Permission[] };

/**
 * Every method takes the caller's `signal` (its pass ran out of time, or the process is
 * stopping): once it aborts, nothing more is sent and the call fails as transient. Each HTTP
 * exchange also has a deadline of its own.
 */
export interface PermissionsApi {
  /**
   * Every permission on the checkpoint, every page followed, or that the checkpoint does not
   * exist (OpenAI answered 404). Never mutates.
   */
  list(checkpoint: string, signal?: AbortSignal): Promise<Observation>;
  /**
   * Grants the projects in one create call, splitting the batch only to isolate projects OpenAI
   * rejects with a 400. Never resends a create blindly: on a transient failure it throws, and
   * the caller lists again before granting what is still missing.
   */
  grant(checkpoint: string, projectIds: readonly string[], signal?: AbortSignal): Promise<GrantResult>;
  /** Revokes one permission; one that is already gone (404) counts as revoked. */
  revoke(checkpoint: string, permissionId: string, signal?: AbortSignal): Promise<void>;
}
