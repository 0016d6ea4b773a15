/**
 * The stand-in's pre-installed CustomResourceDefinitions under apiextensions.k8s.io/v1: readable
 * as on a real cluster (discovery, list, get, watch, Table), refused with 405 for every write,
 * since the CRD comes from crds/ and cannot change while the stand-in runs.
 */
import { ApiextensionsV1Api, type V1CustomResourceDefinition, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCrd } from '../src/crd/crd.js';
import { type StandInClients, startWithClients, waitFor } from './support/kube-stand-in.js';

const CRD_NAME = 'checkpointshares.checkpointshare.io';
const POLICY_CRD_NAME = 'checkpointsharepolicies.checkpointshare.io';
/** Listed in name order, as the API server lists them. */
const CRD_NAMES = [POLICY_CRD_NAME, CRD_NAME];
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const READ_ONLY =
  'the sandbox\'s CustomResourceDefinitions are pre-installed and read-only: skip "kubectl apply -k crds/" against the sandbox';

let k: StandInClients;
let apiextensions: ApiextensionsV1Api;

beforeAll(async () => {
  k = await startWithClients();
  apiextensions = k.kubeConfig.makeApiClient(ApiextensionsV1Api);
});

afterAll(async () => {
  await k.standIn.close();
});

async function getJson(path: string, accept = 'application/json'): Promise<Record<string, unknown>> {
  const response = await fetch(`${k.standIn.url}${path}`, { headers: { Accept: accept } });
  expect(response.status, path).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('discovery', () => {
  it('lists apiextensions.k8s.io/v1 among the groups', async () => {
    const groups = (await getJson('/apis')) as { groups: { name: string; versions: unknown[] }[] };
    expect(groups.groups.find((g) => g.name === 'apiextensions.k8s.io')).toEqual({
      name: 'apiextensions.k8s.io',
      versions: [{ groupVersion: 'apiextensions.k8s.io/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'apiextensions.k8s.io/v1', version: 'v1' },
    });
    expect(await getJson('/apis/apiextensions.k8s.io')).toMatchObject({
      kind: 'APIGroup',
      name: 'apiextensions.k8s.io',
    });
  });

  it('offers customresourcedefinitions (crd, crds) for get, list and watch only', async () => {
    const list = (await getJson('/apis/apiextensions.k8s.io/v1')) as { resources: unknown[] };
    expect(list).toMatchObject({ kind: 'APIResourceList', groupVersion: 'apiextensions.k8s.io/v1' });
    expect(list.resources).toEqual([
      {
        name: 'customresourcedefinitions',
        singularName: 'customresourcedefinition',
        namespaced: false,
        kind: 'CustomResourceDefinition',
        verbs: ['get', 'list', 'watch'],
        shortNames: ['crd', 'crds'],
        categories: ['api-extensions'],
      },
    ]);
  });
});

describe('reading', () => {
  it('lists the CRD from crds/ as a stored, established object', async () => {
    const list = await apiextensions.listCustomResourceDefinition();
    expect(list.items.map((crd) => crd.metadata?.name)).toEqual(CRD_NAMES);
    const crd = list.items.find((item) => item.metadata?.name === CRD_NAME) as V1CustomResourceDefinition;
    const shipped = loadCrd();
    expect(crd.spec.group).toBe(shipped.spec.group);
    expect(crd.spec.names).toEqual(shipped.spec.names);
    expect(crd.spec.versions.map((v) => v.name)).toEqual(shipped.spec.versions.map((v) => v.name));
    expect(crd.metadata?.labels).toEqual(shipped.metadata.labels);
    expect(crd.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(crd.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(crd.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(crd.status?.acceptedNames).toEqual(shipped.spec.names);
    expect(crd.status?.storedVersions).toEqual(['v1alpha1']);
    const conditions = Object.fromEntries((crd.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toEqual({ NamesAccepted: 'True', Established: 'True' });
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
  });

  it('gets the CRD by name, 404 for any other', async () => {
    const crd = await apiextensions.readCustomResourceDefinition({ name: CRD_NAME });
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.spec.scope).toBe('Namespaced');
    const missing = await fetch(`${k.standIn.url}${CRDS}/widgets.example.com`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      reason: 'NotFound',
      message: 'customresourcedefinitions.apiextensions.k8s.io "widgets.example.com" not found',
    });
  });

  it('serves the Table kubectl get asks for: NAME and CREATED AT', async () => {
    const table = (await getJson(CRDS, 'application/json;as=Table;v=v1;g=meta.k8s.io')) as {
      columnDefinitions: { name: string; type: string }[];
      rows: { cells: unknown[] }[];
    };
    expect(table.columnDefinitions.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
    expect(table.rows.map((r) => r.cells[0])).toEqual(CRD_NAMES);
    const [row] = table.rows;
    expect(row?.cells[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('answers a watch with the CRD as ADDED', async () => {
    const watch = new Watch(k.kubeConfig);
    const seen: string[] = [];
    const controller = await watch.watch(
      CRDS,
      {},
      (type: string, obj: V1CustomResourceDefinition) => seen.push(`${type} ${obj.metadata?.name ?? ''}`),
      () => undefined,
    );
    try {
      await waitFor('the ADDED events', () => (seen.length > 1 ? seen : undefined));
      expect(seen.sort()).toEqual(CRD_NAMES.map((name) => `ADDED ${name}`).sort());
    } finally {
      controller.abort();
    }
  });
});

describe('writes', () => {
  const manifest = JSON.stringify({ ...loadCrd(), metadata: { name: 'widgets.example.com' } });
  const cases: { why: string; method: string; path: string; contentType?: string; body?: string }[] = [
    { why: 'kubectl create / apply of a new CRD', method: 'POST', path: CRDS, body: manifest },
    {
      why: 'kubectl replace',
      method: 'PUT',
      path: `${CRDS}/${CRD_NAME}`,
      body: JSON.stringify(loadCrd()),
    },
    {
      why: 'kubectl apply of the existing CRD (strategic merge patch)',
      method: 'PATCH',
      path: `${CRDS}/${CRD_NAME}`,
      contentType: 'application/strategic-merge-patch+json',
      body: '{"metadata":{"labels":{"x":"y"}}}',
    },
    {
      why: 'kubectl apply --server-side',
      method: 'PATCH',
      path: `${CRDS}/${CRD_NAME}?fieldManager=kubectl`,
      contentType: 'application/apply-patch+yaml',
      body: 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n',
    },
    { why: 'kubectl delete crd', method: 'DELETE', path: `${CRDS}/${CRD_NAME}` },
    { why: 'kubectl delete crd --all', method: 'DELETE', path: CRDS },
    {
      why: 'a status write',
      method: 'PUT',
      path: `${CRDS}/${CRD_NAME}/status`,
      body: JSON.stringify(loadCrd()),
    },
  ];

  it.each(cases)('refuses $method $path with 405 MethodNotAllowed ($why)', async (c) => {
    const before = k.standIn.store.resourceVersion();
    const response = await fetch(`${k.standIn.url}${c.path}`, {
      method: c.method,
      headers: { 'Content-Type': c.contentType ?? 'application/json', Accept: 'application/json' },
      ...(c.body === undefined ? {} : { body: c.body }),
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: READ_ONLY,
      reason: 'MethodNotAllowed',
      details: { group: 'apiextensions.k8s.io', kind: 'customresourcedefinitions' },
      code: 405,
    });
    expect(k.standIn.store.resourceVersion()).toBe(before);
    expect(k.standIn.store.get('customresourcedefinitions', '', CRD_NAME)).toBeDefined();
  });
});

/** Go's mime.ParseMediaType, which client-go runs on every Content-Type: type/subtype tokens, token=value params. */
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"]*"))*$`);

describe('content types', () => {
  const probes: { why: string; path: string; accept?: string; method?: string }[] = [
    { why: 'version', path: '/version' },
    { why: 'health', path: '/healthz' },
    { why: 'group discovery', path: '/apis' },
    { why: 'resource discovery', path: '/apis/apiextensions.k8s.io/v1' },
    {
      why: 'OpenAPI v2 as kubectl asks for it before validating',
      path: '/openapi/v2',
      accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
    },
    { why: 'OpenAPI v3 index', path: '/openapi/v3' },
    { why: 'a list as YAML', path: CRDS, accept: 'application/yaml' },
    { why: 'a Table', path: CRDS, accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    { why: 'a 404', path: '/apis/apps/v1/deployments' },
    { why: 'a 405', path: CRDS, method: 'POST' },
    { why: 'a 406', path: CRDS, accept: 'text/html' },
    { why: 'a control endpoint', path: '/_sandbox/state' },
  ];

  it.each(probes)('sends a Content-Type Go can parse: $why', async (p) => {
    const response = await fetch(`${k.standIn.url}${p.path}`, {
      method: p.method ?? 'GET',
      headers: { Accept: p.accept ?? 'application/json' },
      ...(p.method === 'POST' ? { body: '{}' } : {}),
    });
    await response.arrayBuffer();
    expect(response.headers.get('content-type')).toMatch(MEDIA_TYPE);
  });

  it('serves the OpenAPI v2 protobuf under the media type a real server sends', async () => {
    const response = await fetch(`${k.standIn.url}/openapi/v2`, {
      headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(
      'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    );
  });
});

describe('the CheckpointSharePolicy CRD', () => {
  const POLICIES = '/apis/checkpointshare.io/v1alpha1/checkpointsharepolicies';
  const policy = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'checkpointshare.io/v1alpha1',
    kind: 'CheckpointSharePolicy',
    metadata: { name },
    spec,
  });
  const post = (body: unknown) =>
    fetch(`${k.standIn.url}${POLICIES}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it("serves it cluster-scoped, keeping a selector's matchLabels and defaulting modes", async () => {
    const created = await post(
      policy('team-a', {
        namespaceSelector: { matchLabels: { team: 'a' } },
        checkpoints: ['ft:*'],
        projects: ['proj_a*'],
      }),
    );
    expect(created.status).toBe(201);
    const stored = (await getJson(`${POLICIES}/team-a`)) as {
      metadata: { namespace?: string };
      spec: unknown;
    };
    expect(stored.metadata.namespace).toBeUndefined();
    expect(stored.spec).toEqual({
      namespaceSelector: { matchLabels: { team: 'a' } },
      checkpoints: ['ft:*'],
      projects: ['proj_a*'],
      modes: ['Managed'],
    });
  });

  it.each([
    {
      reason: 'no checkpoints',
      spec: { namespaceSelector: {}, checkpoints: [], projects: ['*'] },
      says: 'spec.checkpoints',
    },
    {
      reason: 'an unknown mode',
      spec: { namespaceSelector: {}, checkpoints: ['*'], projects: ['*'], modes: ['Owner'] },
      says: 'spec.modes[0]',
    },
    {
      reason: 'a label value that is not a string',
      spec: { namespaceSelector: { matchLabels: { team: 1 } }, checkpoints: ['*'], projects: ['*'] },
      says: 'spec.namespaceSelector.matchLabels.team',
    },
  ])('refuses $reason with 422', async ({ spec, says }) => {
    const response = await post(policy('bad', spec));
    expect(response.status).toBe(422);
    expect(((await response.json()) as { message: string }).message).toContain(says);
  });
});
