/**
 * Events, served as core/v1 and as events.k8s.io/v1 from one storage bucket (kept in core form),
 * as the real server does: an Event written through one API is read through the other, so
 * `kubectl describe` shows what the operator recorded through either. Validation follows
 * k8s.io/kubernetes' ValidateEventCreate/Update: legacy rules for core/v1, strict rules
 * (eventTime, type, reportingController, immutable fields) for events.k8s.io/v1.
 */
import { isRecord } from '../../../../../src/schema/structural-schema.js';
import { type InvalidField, invalidMessage } from '../status.js';
import { ageOf, nameColumn } from '../table.js';
import { type KubeObject, readPath, sameContent } from '../types.js';
import {
  admitBuiltin,
  immutable,
  integer,
  invalidField,
  object,
  required,
  string,
  typeMeta,
} from './builtin.js';
import {
  ALL_VERBS,
  BUILTIN_BEHAVIOUR,
  identity,
  type ResourceType,
  type TableColumn,
} from './resource-type.js';

const objectReference = object({
  kind: string,
  namespace: string,
  name: string,
  uid: string,
  apiVersion: string,
  resourceVersion: string,
  fieldPath: string,
});
const series = object({ count: integer, lastObservedTime: string });
const source = object({ component: string, host: string });

const coreSchema = object({
  ...typeMeta(),
  involvedObject: objectReference,
  reason: string,
  message: string,
  source,
  firstTimestamp: string,
  lastTimestamp: string,
  count: integer,
  type: string,
  eventTime: string,
  series,
  action: string,
  related: objectReference,
  reportingComponent: string,
  reportingInstance: string,
});

const eventsSchema = object({
  ...typeMeta(),
  eventTime: string,
  series,
  reportingController: string,
  reportingInstance: string,
  action: string,
  reason: string,
  regarding: objectReference,
  related: objectReference,
  note: string,
  type: string,
  deprecatedSource: source,
  deprecatedFirstTimestamp: string,
  deprecatedLastTimestamp: string,
  deprecatedCount: integer,
});

/** core field <-> events.k8s.io field; the rest share their names. */
const RENAMED: readonly (readonly [string, string])[] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];
const SHARED = ['reason', 'type', 'action', 'eventTime', 'series', 'related', 'reportingInstance'];

function convert(obj: KubeObject, apiVersion: string, toCore: boolean): KubeObject {
  const out: KubeObject = { apiVersion, kind: 'Event', metadata: obj.metadata };
  for (const field of SHARED) if (obj[field] !== undefined) out[field] = obj[field];
  for (const [core, events] of RENAMED) {
    const [from, to] = toCore ? [events, core] : [core, events];
    if (obj[from] !== undefined) out[to] = obj[from];
  }
  return out;
}

export function toCoreEvent(obj: KubeObject): KubeObject {
  return convert(obj, 'v1', true);
}

export function toEventsV1(obj: KubeObject): KubeObject {
  return convert(obj, 'events.k8s.io/v1', false);
}

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LENGTH_LIMITS = { reportingInstance: 128, action: 128, reason: 128, message: 1024 } as const;

function text(obj: KubeObject, path: string): string {
  const value = readPath(obj, path);
  return typeof value === 'string' ? value : '';
}

/** legacyValidateEvent, on the core form; `controllerField` is how the request's API names it. */
function legacyValidate(core: KubeObject, controllerField: string): InvalidField[] {
  const errors: InvalidField[] = [];
  const namespace = core.metadata.namespace ?? '';
  const involvedNamespace = text(core, 'involvedObject.namespace');
  if (core.eventTime === undefined || core.eventTime === null) {
    const ok =
      involvedNamespace === ''
        ? namespace === '' || namespace === 'default'
        : involvedNamespace === namespace;
    if (!ok)
      errors.push(
        invalidField('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'),
      );
    return errors;
  }
  if (involvedNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') {
    errors.push(
      invalidField('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'),
    );
  }
  const controller = text(core, 'reportingComponent');
  if (controller === '') errors.push(required(controllerField));
  if (controller.length > 316 || !QUALIFIED_NAME.test(controller)) {
    errors.push(
      invalidField(
        controllerField,
        controller,
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      ),
    );
  }
  for (const field of ['reportingInstance', 'action', 'reason'] as const) {
    if (text(core, field) === '') errors.push(required(field));
  }
  for (const [field, limit] of Object.entries(LENGTH_LIMITS)) {
    if (text(core, field).length > limit) {
      errors.push(invalidField(field, '', `can have at most ${limit} characters`));
    }
  }
  return errors;
}

function validateCore(obj: KubeObject): InvalidField[] {
  return legacyValidate(obj, 'reportingComponent');
}

function validateEventsV1(obj: KubeObject, old: KubeObject | undefined): InvalidField[] {
  const core = toCoreEvent(obj);
  const errors = legacyValidate(core, 'reportingController');
  if (old) {
    for (const field of [
      'regarding',
      'related',
      'reason',
      'note',
      'type',
      'action',
      'eventTime',
      'reportingController',
      'reportingInstance',
      'deprecatedSource',
      'deprecatedFirstTimestamp',
      'deprecatedLastTimestamp',
      'deprecatedCount',
    ]) {
      if (!sameContent(obj[field] ?? null, old[field] ?? null))
        errors.push(immutable(field, obj[field] ?? ''));
    }
    return errors;
  }
  if (isRecord(obj.series)) {
    if (typeof obj.series.count !== 'number' || obj.series.count < 2) {
      errors.push(invalidField('series.count', '', 'should be at least 2'));
    }
    if (!obj.series.lastObservedTime) errors.push(required('series.lastObservedTime'));
  }
  if (!obj.eventTime) errors.push(required('eventTime'));
  if (obj.type !== 'Normal' && obj.type !== 'Warning') {
    errors.push(invalidField('type', '', `has invalid value: ${String(obj.type ?? '')}`));
  }
  for (const field of ['deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount'] as const) {
    if (obj[field] !== undefined && obj[field] !== null && obj[field] !== 0) {
      errors.push(invalidField(field, '', 'needs to be unset'));
    }
  }
  if (isRecord(obj.deprecatedSource) && (obj.deprecatedSource.component || obj.deprecatedSource.host)) {
    errors.push(invalidField('deprecatedSource', '', 'needs to be unset'));
  }
  return errors;
}

function reference(prefix: string): [string, (o: KubeObject) => string][] {
  return ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [
    `${prefix}.${f}`,
    (o: KubeObject) => text(o, `${prefix}.${f}`),
  ]);
}

function columns(form: 'core' | 'events'): TableColumn[] {
  const core = (o: KubeObject): KubeObject => (form === 'core' ? o : toCoreEvent(o));
  return [
    {
      name: 'Last Seen',
      type: 'string',
      description: 'Time when this Event was last observed',
      cell: (o, now) => {
        const c = core(o);
        return ageOf(c.lastTimestamp ?? readPath(c, 'series.lastObservedTime') ?? c.eventTime, now);
      },
    },
    { name: 'Type', type: 'string', description: 'Type of this event', cell: (o) => text(core(o), 'type') },
    {
      name: 'Reason',
      type: 'string',
      description: 'Why the action was taken',
      cell: (o) => text(core(o), 'reason'),
    },
    {
      name: 'Object',
      type: 'string',
      description: 'The object this Event is about',
      cell: (o) =>
        `${text(core(o), 'involvedObject.kind').toLowerCase()}/${text(core(o), 'involvedObject.name')}`,
    },
    {
      name: 'Message',
      type: 'string',
      description: 'A description of the status',
      cell: (o) => text(core(o), 'message'),
    },
    { ...nameColumn, priority: 1 },
  ];
}

const shared = {
  singular: 'event',
  kind: 'Event',
  listKind: 'EventList',
  namespaced: true,
  shortNames: ['ev'],
  categories: [],
  verbs: ALL_VERBS,
  storage: 'events',
  ...BUILTIN_BEHAVIOUR,
  allowCreateOnUpdate: true,
  version: 'v1',
  resource: 'events',
} as const;

export function coreEvents(): ResourceType {
  return {
    ...shared,
    group: '',
    fieldLabels: new Map([
      ['metadata.name', (o: KubeObject) => o.metadata.name ?? ''],
      ['metadata.namespace', (o: KubeObject) => o.metadata.namespace ?? ''],
      ...reference('involvedObject'),
      ['reason', (o: KubeObject) => text(o, 'reason')],
      ['reportingComponent', (o: KubeObject) => text(o, 'reportingComponent')],
      ['source', (o: KubeObject) => text(o, 'source.component')],
      ['type', (o: KubeObject) => text(o, 'type')],
    ]),
    unsupportedFieldMessage: (field) => `field label not supported: ${field}`,
    admit: (obj, ctx) =>
      admitBuiltin(
        {
          kind: 'Event',
          version: 'v1',
          schema: coreSchema,
          microTimeFields: ['eventTime', 'series.lastObservedTime'],
          timeFields: ['firstTimestamp', 'lastTimestamp'],
          validate: validateCore,
        },
        obj,
        ctx.old,
      ),
    invalidMessage: (name, errors) => invalidMessage({ group: '', kind: 'Event' }, name, errors),
    columns: columns('core'),
    openApiSchema: coreSchema,
    toStorage: identity,
    fromStorage: identity,
  };
}

export function eventsV1(): ResourceType {
  return {
    ...shared,
    group: 'events.k8s.io',
    shortNames: [],
    fieldLabels: new Map([
      ['metadata.name', (o: KubeObject) => o.metadata.name ?? ''],
      ['metadata.namespace', (o: KubeObject) => o.metadata.namespace ?? ''],
      ...reference('regarding'),
      ['reason', (o: KubeObject) => text(o, 'reason')],
      ['reportingController', (o: KubeObject) => text(o, 'reportingController')],
      ['type', (o: KubeObject) => text(o, 'type')],
    ]),
    unsupportedFieldMessage: (field) => `field label not supported: ${field}`,
    admit: (obj, ctx) =>
      admitBuiltin(
        {
          kind: 'Event',
          version: 'v1',
          schema: eventsSchema,
          microTimeFields: ['eventTime', 'series.lastObservedTime'],
          timeFields: ['deprecatedFirstTimestamp', 'deprecatedLastTimestamp'],
          validate: validateEventsV1,
        },
        obj,
        ctx.old,
      ),
    invalidMessage: (name, errors) => invalidMessage({ group: 'events.k8s.io', kind: 'Event' }, name, errors),
    columns: columns('events'),
    openApiSchema: eventsSchema,
    toStorage: toCoreEvent,
    fromStorage: toEventsV1,
  };
}
