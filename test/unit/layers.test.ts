/**
 * Interfaces point one way: no two folders of src/ import each other (a type import counts),
 * so a reader can follow the data from watch event to status through folders in one order.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The top folder of src/ a file lives in (files at the top level count as their own name). */
function folderOf(file: string): string {
  return relative(SRC, file).split('/')[0] ?? '';
}

/** Every "folder A imports folder B" edge among src/'s folders. */
function folderEdges(): Set<string> {
  const edges = new Set<string>();
  for (const file of sources(SRC)) {
    const from = folderOf(file);
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), match[1] ?? '');
      if (!target.startsWith(SRC)) continue;
      const to = folderOf(target);
      if (to !== from) edges.add(`${from} -> ${to}`);
    }
  }
  return edges;
}

describe('src/ layers', () => {
  it('has no two folders that import each other', () => {
    const edges = folderEdges();
    const cycles = [...edges].filter((edge) => {
      const [from, to] = edge.split(' -> ');
      return edges.has(`${to} -> ${from}`);
    });
    expect(cycles).toEqual([]);
  });

  it('has no longer import cycle among folders either', () => {
    const next = new Map<string, string[]>();
    for (const edge of folderEdges()) {
      const [from = '', to = ''] = edge.split(' -> ');
      next.set(from, [...(next.get(from) ?? []), to]);
    }
    const cycles: string[] = [];
    const visit = (folder: string, path: string[]): void => {
      if (path.includes(folder)) {
        cycles.push([...path.slice(path.indexOf(folder)), folder].join(' -> '));
        return;
      }
      for (const to of next.get(folder) ?? []) visit(to, [...path, folder]);
    };
    for (const folder of next.keys()) visit(folder, []);
    expect(cycles).toEqual([]);
  });

  it('keeps the generic controller loop free of the resource it reconciles', () => {
    const loop = readFileSync(join(SRC, 'controller/controller.ts'), 'utf8');
    expect(loop).not.toMatch(/from '\.\.\/(api|reconcile|kube|openai)\//);
  });
});
