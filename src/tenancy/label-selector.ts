/**
 * A metav1.LabelSelector as the API server evaluates it: matchLabels and matchExpressions are
 * ANDed, and `{}` selects everything. An unusable selector is reported, never guessed at: a
 * policy with one selects no namespace (so it grants nothing) and says why in its status.
 */
export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Labels = Readonly<Record<string, string>>;

export type Selector = (labels: Labels) => boolean;

export type CompiledSelector = { selector: Selector; problem?: undefined } | { problem: string };

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

export function compileSelector(spec: LabelSelector | undefined): CompiledSelector {
  const matchLabels = Object.entries(spec?.matchLabels ?? {});
  const expressions = spec?.matchExpressions ?? [];
  for (const [index, e] of expressions.entries()) {
    const where = `namespaceSelector.matchExpressions[${index}]`;
    if (!OPERATORS.has(e.operator))
      return {
        problem: `${where}.operator: ${JSON.stringify(e.operator)} is not one of In, NotIn, Exists, DoesNotExist`,
      };
    const values = e.values ?? [];
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0)
      return { problem: `${where}.values: must be non-empty when operator is ${e.operator}` };
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0)
      return { problem: `${where}.values: must be empty when operator is ${e.operator}` };
  }
  const selector: Selector = (labels) =>
    matchLabels.every(([key, value]) => labels[key] === value) &&
    expressions.every((e) => {
      const has = Object.hasOwn(labels, e.key);
      const value = labels[e.key];
      switch (e.operator) {
        case 'In':
          return has && (e.values ?? []).includes(value ?? '');
        case 'NotIn':
          return !has || !(e.values ?? []).includes(value ?? '');
        case 'Exists':
          return has;
        default:
          return !has;
      }
    });
  return { selector };
}
