import type { CheckpointShare } from '../api/types.js';
import { ConfigError } from '../config.js';
import { type ManifestDocument, readManifests } from '../manifests/documents.js';
import { namespaceLabelsIn, policiesIn, policyRefusals } from '../manifests/policy-check.js';
import { type Located, semanticProblems } from '../manifests/semantics.js';
import { shareOf } from '../manifests/shares.js';
import { type ShippedKinds, shippedKinds } from '../manifests/shipped-crds.js';
import { validateMetadata } from '../schema/object-meta.js';
import { validateStructural } from '../schema/structural-schema.js';
import { parseManifestArgs } from './manifest-args.js';

export const VALIDATE_HELP = `Usage: checkpoint-share validate [-f PATH]... [PATH]... [flags]

Checks CheckpointShare manifests without a cluster or a key: each object against the CRD schema
shipped with this version (types, patterns, enums, limits, unknown fields, the CEL rules), then the
rules across objects (the same object twice; a project that shares on one checkpoint want under
different modes). Other kinds are skipped. Errors are printed as file:line: object: message.

Exit status: 0 every object is valid, 1 an error was found.

Flags:
  -f, --filename PATH     a file, a folder (its .yaml, .yml and .json files) or - for stdin; repeatable
  -R, --recursive         also the folders' subfolders, as kubectl -R
  -n, --namespace NS      namespace of manifests that name none (default: default)
  -o, --output FORMAT     text (default) or json
      --policy PATH       CheckpointSharePolicies (file, folder or -; repeatable): also report what
                          SHARE_POLICY=enforce would refuse, with namespace labels from the Namespace
                          objects among all the files (an undeclared one has only its name label)
`;

/** One problem, located as precisely as the manifest allows. */
export interface ValidationError {
  file: string;
  /** 0-based document index in the file. */
  document: number;
  line: number;
  /** kind namespace/name, or kind alone where the object has no name. */
  object: string;
  field: string;
  message: string;
}

export async function validate(argv: readonly string[]): Promise<number> {
  let files: string[];
  let recursive: boolean;
  let policies: string[];
  let namespace: string;
  let output: 'text' | 'json';
  try {
    ({ files, recursive, policies, namespace, output } = options(argv));
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`checkpoint-share validate: ${error.message}\n`);
    return 1;
  }
  const { documents, problems } = readManifests(files, { recursive });
  const policyFiles =
    policies.length > 0 ? readManifests(policies, { recursive }) : { documents: [], problems: [] };
  problems.push(...policyFiles.problems);
  const errors: ValidationError[] = problems.map((p) => ({
    file: p.file,
    document: 0,
    line: p.line ?? 1,
    object: '',
    field: '',
    message: p.message,
  }));
  const kinds = shippedKinds();
  const located: Located[] = [];
  const documentOf = new Map<CheckpointShare, ManifestDocument>();
  let checked = 0;
  // The policies are objects to check too; only the shares are judged by them.
  for (const document of policyFiles.documents) {
    const found = check(document, kinds, namespace);
    if (!found) continue;
    checked += 1;
    errors.push(...found.errors);
  }
  for (const document of documents) {
    const found = check(document, kinds, namespace);
    if (!found) continue;
    checked += 1;
    errors.push(...found.errors);
    const share = found.errors.length === 0 ? shareOf(document, namespace) : undefined;
    if (share) {
      located.push({ share, at: `${document.file}:${document.line}` });
      documentOf.set(share, document);
    }
  }
  for (const p of semanticProblems(located)) {
    const [file = '', line = '1'] = splitAt(p.at);
    errors.push({
      file,
      document: 0,
      line: Number(line),
      object: `CheckpointShare ${p.object}`,
      field: p.field,
      message: p.message,
    });
  }
  if (policies.length > 0) {
    const all = [...documents, ...policyFiles.documents];
    const refusals = policyRefusals(
      located.map((l) => l.share),
      policiesIn(all),
      namespaceLabelsIn(all),
    );
    for (const r of refusals) {
      const document = documentOf.get(r.share);
      if (!document) continue;
      errors.push({
        file: document.file,
        document: document.index,
        line: document.lineOf(pathOf(r.field)) ?? document.line,
        object: `CheckpointShare ${r.share.metadata.namespace}/${r.share.metadata.name}`,
        field: r.field,
        message: r.message,
      });
    }
  }
  if (output === 'json') {
    process.stdout.write(
      `${JSON.stringify({ objects: checked, valid: errors.length === 0, errors }, null, 2)}\n`,
    );
  } else {
    for (const e of errors)
      process.stdout.write(`${e.file}:${e.line}: ${e.object ? `${e.object}: ` : ''}${e.message}\n`);
    const summary =
      errors.length === 0
        ? `${checked} object${checked === 1 ? '' : 's'} valid`
        : `${errors.length} error${errors.length === 1 ? '' : 's'} in ${checked} object${checked === 1 ? '' : 's'}`;
    process.stderr.write(`${summary}\n`);
  }
  return errors.length === 0 ? 0 : 1;
}

function splitAt(at: string): [string, string] {
  const i = at.lastIndexOf(':');
  return i < 0 ? [at, '1'] : [at.slice(0, i), at.slice(i + 1)];
}

/** The errors of one document of a kind this repository ships a CRD for; undefined for other kinds. */
function check(
  document: ManifestDocument,
  kinds: ShippedKinds,
  namespace: string,
): { errors: ValidationError[] } | undefined {
  const value = document.value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = kinds.get(String(value.kind ?? ''));
  // Another API's kind of the same name is not ours to judge; a wrong version of ours is.
  const group = String(value.apiVersion ?? '').split('/')[0];
  if (!kind || group !== kind.apiVersion.split('/')[0]) return undefined;
  const metadata = (value.metadata ?? {}) as Record<string, unknown>;
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const ns = kind.namespaced ? (typeof metadata.namespace === 'string' ? metadata.namespace : namespace) : '';
  const object = `${kind.kind} ${ns ? `${ns}/` : ''}${name}`.trim();
  const fieldErrors = [];
  if (value.apiVersion !== kind.apiVersion) {
    fieldErrors.push({
      field: 'apiVersion',
      message: `apiVersion: Unsupported value: ${JSON.stringify(value.apiVersion ?? '')}: supported values: "${kind.apiVersion}"`,
    });
  }
  fieldErrors.push(...validateMetadata(value.metadata));
  // The API server's "<nil>: some validation rules were not checked" note is not a problem of
  // the manifest: the rules run once the errors above are fixed.
  fieldErrors.push(
    ...validateStructural(kind.schema, value, 'Strict').errors.filter((e) => e.field !== '<nil>'),
  );
  return {
    errors: fieldErrors.map((e) => ({
      file: document.file,
      document: document.index,
      line: document.lineOf(pathOf(e.field)) ?? document.line,
      object,
      field: e.field,
      message: e.message,
    })),
  };
}

/** `spec.projectIds[2]` -> ['spec', 'projectIds', 2], to find the line of a field. */
export function pathOf(field: string): (string | number)[] {
  return field
    .split(/\.|\[(\d+)\]/)
    .filter((part) => part !== undefined && part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function options(argv: readonly string[]) {
  const args = parseManifestArgs(argv, {
    own: { policy: { type: 'string', multiple: true } },
    outputs: ['text', 'json'],
    pathsAsFiles: true,
  });
  return {
    ...args,
    policies: (args.values.policy as string[] | undefined) ?? [],
    output: args.output as 'text' | 'json',
  };
}
