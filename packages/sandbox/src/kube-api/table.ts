/**
 * Server-side printing: the meta.k8s.io Table that `kubectl get` asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, so kubectl shows a CRD's printer
 * columns exactly as against a real cluster.
 */
import { evaluate } from './jsonpath.js';
import type { ResourceType, TableColumn } from './resources/resource-type.js';
import type { KubeObject } from './types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

export const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: NAME_DESCRIPTION,
  cell: (obj) => obj.metadata.name ?? '',
};

/** duration.HumanDuration from k8s.io/apimachinery, which kubectl's AGE column shows. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

export function ageOf(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? '<invalid>' : humanDuration(now.getTime() - at);
}

/** The AGE column every built-in kind prints. */
export const ageColumn: TableColumn = {
  name: 'Age',
  type: 'string',
  description: 'Age',
  cell: (o, now) => ageOf(o.metadata.creationTimestamp, now),
};

/** A column from a CRD's additionalPrinterColumns, converted as apiextensions' tableconvertor does. */
export function printerColumn(spec: {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}): TableColumn {
  return {
    name: spec.name,
    type: spec.type,
    ...(spec.format ? { format: spec.format } : {}),
    description: spec.description ?? '',
    ...(spec.priority ? { priority: spec.priority } : {}),
    cell: (obj, now) => {
      const value = evaluate(obj, spec.jsonPath)[0];
      if (value === undefined || value === null) return null;
      if (spec.type === 'date') return ageOf(value, now);
      if (spec.type === 'string') return typeof value === 'string' ? value : JSON.stringify(value);
      return value;
    },
  };
}

export function toTable(
  rt: ResourceType,
  objects: readonly KubeObject[],
  includeObject: IncludeObject,
  listMeta: Record<string, unknown>,
  tableVersion: string,
): Record<string, unknown> {
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${tableVersion}`,
    metadata: listMeta,
    columnDefinitions: rt.columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description,
      priority: c.priority ?? 0,
    })),
    rows: objects.map((obj) => ({
      cells: rt.columns.map((c) => c.cell(obj, now)),
      ...(includeObject === 'None' ? {} : { object: rowObject(obj, includeObject) }),
    })),
  };
}

function rowObject(obj: KubeObject, includeObject: IncludeObject): unknown {
  if (includeObject === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}
