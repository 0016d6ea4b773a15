/** Identity of the CheckpointShare API; the CRD in crds/ must agree (test/unit/api-constants.test.ts). */
export const GROUP = 'checkpointshare.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'CheckpointShare';
export const LIST_KIND = 'CheckpointShareList';
export const PLURAL = 'checkpointshares';
export const SINGULAR = 'checkpointshare';
export const SHORT_NAME = 'cps';
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** Held on every object that may have grants, so deletion waits for revocation. */
export const FINALIZER = `${GROUP}/revoke`;
/** The field manager named on every write the operator makes. */
/** A new value asks for one pass now (`kubectl annotate --overwrite cps NAME checkpointshare.io/reconcile-requested-at="$(date +%s)"`). */
export const RECONCILE_REQUESTED_ANNOTATION = `${GROUP}/reconcile-requested-at`;
/** Flux's own request annotation (`flux reconcile` and its receivers set it), honoured the same way. */
export const FLUX_RECONCILE_REQUESTED_ANNOTATION = 'reconcile.fluxcd.io/requestedAt';

export const FIELD_MANAGER = 'checkpoint-share-operator';
/** The component that Events are reported by. */
export const EVENT_SOURCE = 'checkpoint-share-operator';

export const MODES = ['Managed', 'Authoritative'] as const;
export const DELETION_POLICIES = ['Revoke', 'Orphan'] as const;
export const DEFAULT_MODE = 'Managed';
export const DEFAULT_DELETION_POLICY = 'Revoke';
export const MAX_PROJECT_IDS = 1000;

export const ConditionType = {
  Ready: 'Ready',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** Condition reasons, PascalCase as kstatus and kubectl expect. */
export const ConditionReason = {
  Converged: 'Converged',
  Progressing: 'Progressing',
  Retrying: 'Retrying',
  Suspended: 'Suspended',
  Deleting: 'Deleting',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  CheckpointNotFound: 'CheckpointNotFound',
  InvalidProject: 'InvalidProject',
  OwningProject: 'OwningProject',
  BadResponse: 'BadResponse',
  PolicyDenied: 'PolicyDenied',
  /** A CheckpointSharePolicy whose spec the operator can use. */
  PolicyAccepted: 'PolicyAccepted',
  /** A CheckpointSharePolicy whose spec cannot be used (an invalid selector): it selects nothing. */
  InvalidPolicy: 'InvalidPolicy',
} as const;
export type ConditionReason = (typeof ConditionReason)[keyof typeof ConditionReason];

/** Event reasons as docs/design.md names them. */
export const EventReason = {
  Granted: 'Granted',
  Revoked: 'Revoked',
  Adopted: 'Adopted',
  GrantFailed: 'GrantFailed',
  RevokeFailed: 'RevokeFailed',
  Unauthorized: 'Unauthorized',
  CheckpointNotFound: 'CheckpointNotFound',
  PolicyDenied: 'PolicyDenied',
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];

export const WARNING_EVENT_REASONS: ReadonlySet<EventReason> = new Set([
  EventReason.GrantFailed,
  EventReason.RevokeFailed,
  EventReason.Unauthorized,
  EventReason.CheckpointNotFound,
  EventReason.PolicyDenied,
]);

/** Printer columns as the CRD declares them, in order. */
export const PRINTER_COLUMNS = [
  { name: 'Checkpoint', jsonPath: '.spec.checkpoint' },
  { name: 'Granted', jsonPath: '.status.grantedCount' },
  { name: 'Desired', jsonPath: '.status.desiredCount' },
  { name: 'Ready', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Reason', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
  { name: 'Age', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Mode', jsonPath: '.spec.mode', priority: 1 },
  { name: 'Message', jsonPath: '.status.conditions[?(@.type=="Ready")].message', priority: 1 },
] as const;

/** Identity of the cluster-scoped CheckpointSharePolicy API (the tenancy boundary). */
export const POLICY_KIND = 'CheckpointSharePolicy';
export const POLICY_LIST_KIND = 'CheckpointSharePolicyList';
export const POLICY_PLURAL = 'checkpointsharepolicies';
export const POLICY_SINGULAR = 'checkpointsharepolicy';
export const POLICY_SHORT_NAME = 'cpspol';
export const POLICY_CRD_NAME = `${POLICY_PLURAL}.${GROUP}`;
/** The modes a policy allows when it names none. */
export const DEFAULT_POLICY_MODES = ['Managed'] as const;

/** Printer columns of the policy CRD, in order. */
export const POLICY_PRINTER_COLUMNS = [
  { name: 'Checkpoints', jsonPath: '.spec.checkpoints' },
  { name: 'Projects', jsonPath: '.spec.projects' },
  { name: 'Modes', jsonPath: '.spec.modes' },
  { name: 'Ready', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Age', jsonPath: '.metadata.creationTimestamp' },
] as const;
