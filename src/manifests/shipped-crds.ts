import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { isRecord, type StructuralSchema } from '../schema/structural-schema.js';

/** crds/ beside src/ in the repository and beside dist/ in the image (/app/crds). */
export const CRDS_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

/** What validate needs of one kind this repository ships a CRD for. */
export interface ShippedKind {
  kind: string;
  apiVersion: string;
  namespaced: boolean;
  schema: StructuralSchema;
}

export type ShippedKinds = ReadonlyMap<string, ShippedKind>;

/** Every CRD in crds/, by kind: the storage version's schema, as the API server would apply it. */
export function shippedKinds(dir: string = CRDS_DIR): ShippedKinds {
  const kinds = new Map<string, ShippedKind>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const doc: unknown = parse(readFileSync(join(dir, file), 'utf8'));
    if (!isRecord(doc) || doc.kind !== 'CustomResourceDefinition' || !isRecord(doc.spec)) continue;
    const spec = doc.spec as {
      group: string;
      scope: string;
      names: { kind: string };
      versions: { name: string; storage: boolean; schema: { openAPIV3Schema: StructuralSchema } }[];
    };
    const storage = spec.versions.find((v) => v.storage);
    if (!storage) continue;
    kinds.set(spec.names.kind, {
      kind: spec.names.kind,
      apiVersion: `${spec.group}/${storage.name}`,
      namespaced: spec.scope === 'Namespaced',
      schema: storage.schema.openAPIV3Schema,
    });
  }
  return kinds;
}
