import { describe, expect, it } from 'vitest';
import { semanticProblems } from '../../src/manifests/semantics.js';
import { K, K2, share } from '../support/builders.js';

const at = (line: number) => `shares.yaml:${line}`;

describe('rules across manifests', () => {
  it('reports an object defined twice at its second definition, naming the first', () => {
    const problems = semanticProblems([
      { share: share('a').projects('proj_a').build(), at: at(1) },
      { share: share('a').projects('proj_b').build(), at: at(9) },
    ]);
    expect(problems).toEqual([
      {
        at: at(9),
        object: 'ml/a',
        field: 'metadata.name',
        message:
          'duplicate CheckpointShare ml/a: also defined at shares.yaml:1; the later one would replace it',
      },
    ]);
  });

  it('reports a project wanted by a Managed and an Authoritative share on one checkpoint, on the Managed one', () => {
    const problems = semanticProblems([
      { share: share('locked').projects('proj_a', 'proj_b').authoritative().build(), at: at(1) },
      { share: share('team').projects('proj_b').build(), at: at(9) },
      // Another checkpoint: no conflict.
      { share: share('elsewhere').on(K2).projects('proj_b').build(), at: at(17) },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ at: at(9), object: 'ml/team', field: 'spec.mode' });
    expect(problems[0]?.message).toContain(
      `proj_b on ${K} is also wanted by ml/locked, which is Authoritative`,
    );
  });

  it('accepts shares that agree', () => {
    expect(
      semanticProblems([
        { share: share('a').projects('proj_a').build(), at: at(1) },
        { share: share('b').projects('proj_a').build(), at: at(9) },
        { share: share('c').on(K2).projects('proj_a').authoritative().build(), at: at(17) },
      ]),
    ).toEqual([]);
  });
});
