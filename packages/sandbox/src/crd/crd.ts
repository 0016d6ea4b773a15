import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { isRecord, type StructuralSchema } from '../../../../src/schema/structural-schema.js';
import { repoPath } from '../repo-path.js';

/** The CRDs as shipped in crds/. */
export const CRD_PATH = repoPath('crds', 'checkpointshare.io_checkpointshares.yaml');

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: Record<string, never> };
  additionalPrinterColumns?: {
    name: string;
    type: string;
    jsonPath: string;
    description?: string;
    priority?: number;
  }[];
  schema: { openAPIV3Schema: StructuralSchema };
}

export interface CustomResourceDefinition {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: CrdVersion[];
  };
}

/** The cluster-scoped CheckpointSharePolicy CRD (the tenancy boundary), beside the first. */
export const POLICY_CRD_PATH = repoPath('crds', 'checkpointshare.io_checkpointsharepolicies.yaml');

const cached = new Map<string, CustomResourceDefinition>();

function loadCrdFile(path: string): CustomResourceDefinition {
  let crd = cached.get(path);
  if (!crd) {
    const doc: unknown = parse(readFileSync(path, 'utf8'));
    if (!isRecord(doc) || doc.kind !== 'CustomResourceDefinition') {
      throw new Error(`${path} does not hold a CustomResourceDefinition`);
    }
    crd = doc as unknown as CustomResourceDefinition;
    cached.set(path, crd);
  }
  return crd;
}

/** The CheckpointShare CRD as shipped in crds/, the one source of truth for the schema. */
export function loadCrd(): CustomResourceDefinition {
  return loadCrdFile(CRD_PATH);
}

/** The CheckpointSharePolicy CRD as shipped in crds/. */
export function loadPolicyCrd(): CustomResourceDefinition {
  return loadCrdFile(POLICY_CRD_PATH);
}

/** Every CRD the stand-in serves, pre-installed. */
export function shippedCrds(): CustomResourceDefinition[] {
  return [loadCrd(), loadPolicyCrd()];
}

export function storageVersion(crd: CustomResourceDefinition = loadCrd()): CrdVersion {
  const version = crd.spec.versions.find((v) => v.storage);
  if (!version) throw new Error(`CRD ${crd.metadata.name} has no storage version`);
  return version;
}
