import { API_VERSION, DEFAULT_DELETION_POLICY, DEFAULT_MODE, KIND } from '../api/constants.js';
import type { CheckpointShare } from '../api/types.js';
import type { ManifestDocument } from './documents.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether a document is a CheckpointShare of this operator's API (kustomize output holds other kinds too). */
export function isShareDocument(value: unknown): boolean {
  return isRecord(value) && value.apiVersion === API_VERSION && value.kind === KIND;
}

/**
 * A CheckpointShare manifest as the API server would store it: the CRD's defaults applied and the
 * namespace filled in as kubectl fills it. Undefined when the document is not one, or lacks what
 * a plan needs (a name and a checkpoint): `checkpoint-share validate` says why.
 */
export function shareOf(document: ManifestDocument, defaultNamespace: string): CheckpointShare | undefined {
  const value = document.value;
  if (!isShareDocument(value) || !isRecord(value)) return undefined;
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const spec = isRecord(value.spec) ? value.spec : {};
  if (typeof metadata.name !== 'string' || typeof spec.checkpoint !== 'string') return undefined;
  const projectIds = Array.isArray(spec.projectIds)
    ? spec.projectIds.filter((p): p is string => typeof p === 'string')
    : [];
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: metadata.name,
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : defaultNamespace,
      ...(isRecord(metadata.annotations)
        ? { annotations: metadata.annotations as Record<string, string> }
        : {}),
    },
    spec: {
      checkpoint: spec.checkpoint,
      projectIds: [...new Set(projectIds)],
      mode: spec.mode === 'Authoritative' ? 'Authoritative' : DEFAULT_MODE,
      deletionPolicy: spec.deletionPolicy === 'Orphan' ? 'Orphan' : DEFAULT_DELETION_POLICY,
      suspend: spec.suspend === true,
      ...(typeof spec.interval === 'string' ? { interval: spec.interval } : {}),
    },
  };
}
