import type { ConditionType, DELETION_POLICIES, MODES } from './constants.js';

export type Mode = (typeof MODES)[number];
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

/** The spec after the API server applied the CRD's defaults. */
export interface CheckpointShareSpec {
  checkpoint: string;
  projectIds: string[];
  mode: Mode;
  deletionPolicy: DeletionPolicy;
  suspend: boolean;
  interval?: string;
}

export interface Grant {
  projectId: string;
  permissionId: string;
  /** RFC 3339. */
  createdAt?: string;
}

export interface GrantFailure {
  projectId: string;
  reason: string;
  message?: string;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface CheckpointShareStatus {
  observedGeneration?: number;
  checkpoint?: string;
  managedProjects?: string[];
  grants?: Grant[];
  failures?: GrantFailure[];
  desiredCount?: number;
  grantedCount?: number;
  conditions?: Condition[];
  /** The reconcile-request annotation's value the last pass handled (as Flux's objects record it). */
  lastHandledReconcileAt?: string;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface CheckpointShare {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: CheckpointShareSpec;
  status?: CheckpointShareStatus;
}
