/**
 * A CheckpointShare as it travels over the wire: what the validator returns after defaulting and
 * the demo reads. The CRD's schema is the authority on the fields; this is only their shape.
 */
export interface CheckpointShare {
  apiVersion: string;
  kind: string;
  metadata: {
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
  };
  spec: {
    checkpoint: string;
    projectIds: string[];
    mode: string;
    deletionPolicy: string;
    suspend: boolean;
    interval?: string;
  };
  status?: {
    observedGeneration?: number;
    desiredCount?: number;
    grantedCount?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}
