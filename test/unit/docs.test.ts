import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventReason } from '../../src/api/constants.js';
import { DESIGN_SETTINGS, REPO_ROOT, readRepoFile } from '../support/deploy-manifests.js';

/** What a fresh clone holds: everything but dependencies, build output and Git's own files. */
const NOT_THE_REPOSITORY = new Set(['node_modules', 'dist', 'coverage', '.git', '.sandbox']);

function repositoryFiles(dir: string = REPO_ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (NOT_THE_REPOSITORY.has(name)) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? repositoryFiles(path) : [relative(REPO_ROOT, path)];
  });
}

const TEXT = /\.(ts|js|mjs|json|ya?ml|md|lua|txt)$|^Dockerfile$|(^|\/)\.ci\/run$/;
const files = repositoryFiles().filter((path) => TEXT.test(path));

/**
 * Readers have the repository and nothing else: a design note in a team folder is invisible
 * to them. Spelled in pieces so that this file does not match itself.
 */
const OUTSIDE = [
  {
    reason: 'a path into a folder beside the repository',
    pattern: new RegExp(['\\.\\.', 'shared'].join('/')),
  },
  { reason: 'the team design note by name', pattern: new RegExp(['DESIGN', 'md'].join('\\.')) },
  {
    reason: 'a team folder outside the repository',
    pattern: new RegExp(['shared', 'folder'].join(' '), 'i'),
  },
];

describe('the repository stands on its own', () => {
  it.each(OUTSIDE)('no file refers to $reason', ({ pattern }) => {
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.filter((path) => pattern.test(readFileSync(join(REPO_ROOT, path), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('every relative link in its Markdown leads to a file that exists', () => {
    const broken = files
      .filter((path) => path.endsWith('.md'))
      .flatMap((path) =>
        [...readFileSync(join(REPO_ROOT, path), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)]
          .map((m) => (m[1] ?? '').replace(/#.*$/, ''))
          .filter((target) => target !== '' && !/^[a-z]+:/.test(target))
          .filter((target) => !existsSync(join(REPO_ROOT, dirname(path), target)))
          .map((target) => `${path} -> ${target}`),
      );
    expect(broken).toEqual([]);
  });
});

describe('docs/design.md, what a reader of the code needs from the design', () => {
  const design = readRepoFile('docs/design.md');

  it.each([
    ...DESIGN_SETTINGS.map((name) => ({ reason: `setting ${name}`, name })),
    ...Object.values(EventReason).map((name) => ({ reason: `event reason ${name}`, name })),
    ...[
      'desired(K)',
      'protected(K)',
      'managed(K)',
      'listed(K)',
      '**grant**',
      '**revoke**',
      '**adopted**',
    ].map((name) => ({ reason: `the rule ${name}`, name })),
  ])('names $reason', ({ name }) => {
    expect(design).toContain(name);
  });

  it('points at source files that exist', () => {
    const paths = [...design.matchAll(/`((?:src|test)\/[\w./-]+\.ts)`/g)].map((m) => m[1] ?? '');
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((path) => !existsSync(join(REPO_ROOT, path)))).toEqual([]);
  });

  it('is linked from the README, which no longer sends readers elsewhere for it', () => {
    expect(readRepoFile('README.md')).toContain('](docs/design.md)');
  });
});
