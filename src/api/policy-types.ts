import type { Condition, Mode } from './types.js';

/** A metav1.LabelSelector, as the CRD's schema admits it. */
export interface NamespaceSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** The spec after the API server applied the CRD's defaults. */
export interface CheckpointSharePolicySpec {
  namespaceSelector: NamespaceSelector;
  checkpoints: string[];
  projects: string[];
  modes: Mode[];
}

export interface CheckpointSharePolicyStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

/** Cluster-scoped: no namespace. */
export interface CheckpointSharePolicy {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
  };
  spec: CheckpointSharePolicySpec;
  status?: CheckpointSharePolicyStatus;
}
