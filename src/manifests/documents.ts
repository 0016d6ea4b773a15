import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { compareText } from '../api/order.js';

/** One YAML document of a manifest file, where it came from, and what it holds. */
export interface ManifestDocument {
  /** The path as given (or found in a folder), `-` for standard input. */
  file: string;
  /** 0-based index of the document in its file, as kubectl counts them. */
  index: number;
  /** 1-based line the document starts on. */
  line: number;
  value: unknown;
  /** 1-based line of a path in the document (`spec.projectIds[2]`), where it can be found. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** A file that could not be read or parsed: reported in the compiler style, `file:line: message`. */
export interface ManifestProblem {
  file: string;
  line?: number;
  message: string;
}

const MANIFEST = /\.(ya?ml|json)$/;

/**
 * The manifest files under a path, as kubectl -f finds them: the file itself, or a folder's YAML
 * and JSON files in order, and its subfolders' too only when `recursive` (kubectl's -R).
 */
export function manifestFiles(path: string, recursive = false): string[] {
  if (path === '-') return ['-'];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => compareText(a.name, b.name))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return recursive ? manifestFiles(child, true) : [];
      return MANIFEST.test(entry.name) && entry.name !== 'kustomization.yaml' ? [child] : [];
    });
}

/**
 * Every document of every path (files, folders, `-` for stdin, as kubectl -f takes them), with
 * a problem for each path that cannot be read and each document that is not valid YAML.
 */
export function readManifests(
  paths: readonly string[],
  {
    recursive = false,
    readStdin = () => readFileSync(0, 'utf8'),
  }: { recursive?: boolean; readStdin?: () => string } = {},
): { documents: ManifestDocument[]; problems: ManifestProblem[] } {
  const documents: ManifestDocument[] = [];
  const problems: ManifestProblem[] = [];
  for (const path of paths) {
    let files: string[];
    try {
      files = manifestFiles(path, recursive);
    } catch (error: unknown) {
      problems.push({ file: path, message: `cannot read: ${reason(error)}` });
      continue;
    }
    for (const file of files) {
      let text: string;
      try {
        text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
      } catch (error: unknown) {
        problems.push({ file, message: `cannot read: ${reason(error)}` });
        continue;
      }
      parse(file, text, documents, problems);
    }
  }
  return { documents, problems };
}

function parse(file: string, text: string, documents: ManifestDocument[], problems: ManifestProblem[]): void {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const all = Array.isArray(parsed) ? parsed : [];
  let index = 0;
  for (const doc of all) {
    const line = lines.linePos(doc.range[0]).line;
    const error = doc.errors[0];
    if (error) {
      problems.push({
        file,
        line: lines.linePos(error.pos[0]).line,
        message: error.message.split('\n')[0] ?? '',
      });
      index += 1;
      continue;
    }
    const value: unknown = doc.toJS();
    // An empty document (a trailing ---) is no object, as kubectl skips it.
    if (value === null || value === undefined) continue;
    documents.push({
      file,
      index,
      line,
      value,
      lineOf: (path) => {
        const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
        return node?.range ? lines.linePos(node.range[0]).line : undefined;
      },
    });
    index += 1;
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
