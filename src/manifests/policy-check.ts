import { POLICY_KIND } from '../api/constants.js';
import type { CheckpointSharePolicy } from '../api/policy-types.js';
import type { CheckpointShare } from '../api/types.js';
import type { Labels } from '../tenancy/label-selector.js';
import { applies, compilePolicy, judge } from '../tenancy/policy.js';
import type { ManifestDocument } from './documents.js';

/** What SHARE_POLICY=enforce would refuse of one share, at the field it concerns. */
export interface PolicyRefusal {
  share: CheckpointShare;
  /** spec.checkpoint (no policy applies), spec.mode (a mode not allowed) or spec.projectIds[i]. */
  field: string;
  message: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The CheckpointSharePolicies among the documents. */
export function policiesIn(documents: readonly ManifestDocument[]): CheckpointSharePolicy[] {
  return documents.flatMap((d) =>
    isRecord(d.value) && d.value.kind === POLICY_KIND ? [d.value as unknown as CheckpointSharePolicy] : [],
  );
}

/** Namespace labels as the documents declare them (kind Namespace), by name. */
export function namespaceLabelsIn(documents: readonly ManifestDocument[]): Map<string, Labels> {
  const labels = new Map<string, Labels>();
  for (const d of documents) {
    if (!isRecord(d.value) || d.value.kind !== 'Namespace' || d.value.apiVersion !== 'v1') continue;
    const metadata = isRecord(d.value.metadata) ? d.value.metadata : {};
    if (typeof metadata.name !== 'string') continue;
    labels.set(metadata.name, (isRecord(metadata.labels) ? metadata.labels : {}) as Labels);
  }
  return labels;
}

/**
 * The tenancy rules (docs/design.md, "Tenancy") as enforce mode would apply them, with the same
 * verdict the controller computes. A namespace the documents do not declare is judged with only
 * the label the API server gives every namespace (its name), and the message says so.
 */
export function policyRefusals(
  shares: readonly CheckpointShare[],
  policies: readonly CheckpointSharePolicy[],
  namespaces: ReadonlyMap<string, Labels>,
): PolicyRefusal[] {
  const compiled = policies.map(compilePolicy);
  return shares.flatMap((share): PolicyRefusal[] => {
    const declared = namespaces.get(share.metadata.namespace);
    // The API server sets this label on every namespace; policies may select by it.
    const labels = { ...declared, 'kubernetes.io/metadata.name': share.metadata.namespace };
    const verdict = judge(share, labels, compiled);
    if (verdict.refusal === undefined) return [];
    const unlabelled = declared
      ? ''
      : ` (namespace ${share.metadata.namespace} is not among the manifests, so it was judged by its name alone, without other labels)`;
    const message = `PolicyDenied: ${verdict.refusal}${unlabelled}`;
    if (!verdict.permitted) {
      const anyApplies = compiled.some((p) => applies(p, labels, share.spec.checkpoint));
      return [{ share, field: anyApplies ? 'spec.mode' : 'spec.checkpoint', message }];
    }
    // One line for the share, at the first project refused; the message names them all.
    const first = share.spec.projectIds.findIndex((p) => verdict.refusedProjects.includes(p));
    return [{ share, field: `spec.projectIds[${Math.max(first, 0)}]`, message }];
  });
}
