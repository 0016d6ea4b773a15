import type { CheckpointShare } from '../api/types.js';
import { keyOf, projectsOf } from '../reconcile/share-facts.js';

/** A share as found in the manifests, with where it was found. */
export interface Located {
  share: CheckpointShare;
  /** `file:line` (or `file#index` where no line is known) of its document. */
  at: string;
}

/** A rule across objects broken: the object it is reported on, and why. */
export interface SemanticProblem {
  at: string;
  object: string;
  field: string;
  message: string;
}

/**
 * Rules no schema can check, because they span objects: the same object twice, and a project
 * that shares on one checkpoint want under different modes (an Authoritative share there makes
 * every permission managed, so the Managed share's "leave the rest alone" does not hold).
 */
export function semanticProblems(found: readonly Located[]): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const first = new Map<string, Located>();
  for (const item of found) {
    const key = keyOf(item.share);
    const seen = first.get(key);
    if (seen) {
      problems.push({
        at: item.at,
        object: key,
        field: 'metadata.name',
        message: `duplicate CheckpointShare ${key}: also defined at ${seen.at}; the later one would replace it`,
      });
    } else first.set(key, item);
  }

  const byCheckpoint = new Map<string, Located[]>();
  for (const item of first.values()) {
    const list = byCheckpoint.get(item.share.spec.checkpoint) ?? [];
    list.push(item);
    byCheckpoint.set(item.share.spec.checkpoint, list);
  }
  for (const [checkpoint, items] of byCheckpoint) {
    const authoritative = items.filter((i) => i.share.spec.mode === 'Authoritative');
    if (authoritative.length === 0) continue;
    const wantedBy = new Map<string, string>();
    for (const a of authoritative)
      for (const p of projectsOf(a.share)) if (!wantedBy.has(p)) wantedBy.set(p, keyOf(a.share));
    for (const item of items) {
      if (item.share.spec.mode === 'Authoritative') continue;
      const shared = projectsOf(item.share).filter((p) => wantedBy.has(p));
      if (shared.length === 0) continue;
      const other = wantedBy.get(shared[0] ?? '') ?? '';
      problems.push({
        at: item.at,
        object: keyOf(item.share),
        field: 'spec.mode',
        message: `${shared.join(', ')} on ${checkpoint} ${shared.length === 1 ? 'is' : 'are'} also wanted by ${other}, which is Authoritative: there every permission no share lists is revoked, whatever this Managed share's mode says; give both the same mode`,
      });
    }
  }
  return problems;
}
