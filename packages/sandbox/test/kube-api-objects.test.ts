import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKPOINT,
  CPS,
  failureOf,
  type StandInClients,
  type StoredShare,
  share,
  startWithClients,
} from './support/kube-stand-in.js';
import { FINALIZER } from './support/operator-names.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let k: StandInClients;
let counter = 0;

/** A fresh object per test, so tests never depend on each other's leftovers. */
async function created(spec: Record<string, unknown> = {}, extra: Partial<StoredShare['metadata']> = {}) {
  counter += 1;
  const manifest = share(`share-${counter}`, 'team-a', spec);
  Object.assign(manifest.metadata, extra);
  return (await k.custom.createNamespacedCustomObject({
    ...CPS,
    namespace: 'team-a',
    body: manifest,
  })) as StoredShare;
}

async function read(name: string): Promise<StoredShare> {
  return (await k.custom.getNamespacedCustomObject({ ...CPS, namespace: 'team-a', name })) as StoredShare;
}

beforeAll(async () => {
  k = await startWithClients();
});

afterAll(async () => {
  await k.standIn.close();
});

describe('create', () => {
  it('sets the metadata the server owns and applies the CRD defaults', async () => {
    const manifest = { ...share('fresh'), status: { desiredCount: 9 } };
    const obj = (await k.custom.createNamespacedCustomObject({
      ...CPS,
      namespace: 'team-a',
      body: manifest,
    })) as StoredShare;
    expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(obj.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(obj.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(obj.metadata.generation).toBe(1);
    expect(obj.spec).toEqual({
      checkpoint: CHECKPOINT,
      projectIds: ['proj_a'],
      mode: 'Managed',
      deletionPolicy: 'Revoke',
      suspend: false,
    });
    expect(obj.status).toBeUndefined();
  });

  it.each([{ reason: 'a duplicate name is 409 AlreadyExists', code: 409, status: 'AlreadyExists' }])(
    '$reason',
    async ({ code, status }) => {
      const obj = await created();
      const failure = await failureOf(
        k.custom.createNamespacedCustomObject({
          ...CPS,
          namespace: 'team-a',
          body: share(obj.metadata.name),
        }),
      );
      expect(failure.code).toBe(code);
      expect(failure.status?.reason).toBe(status);
      expect(failure.status?.message).toBe(
        `checkpointshares.checkpointshare.io "${obj.metadata.name}" already exists`,
      );
    },
  );

  it('creates the namespace on first use and lists it', async () => {
    await k.custom.createNamespacedCustomObject({
      ...CPS,
      namespace: 'brand-new',
      body: share('x', 'brand-new'),
    });
    const namespaces = await k.core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'brand-new']),
    );
    const ns = await k.core.readNamespace({ name: 'brand-new' });
    expect(ns.status?.phase).toBe('Active');
  });

  it('answers 404 NotFound for a missing object', async () => {
    const failure = await failureOf(
      k.custom.getNamespacedCustomObject({ ...CPS, namespace: 'team-a', name: 'nope' }),
    );
    expect(failure.code).toBe(404);
    expect(failure.status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      message: 'checkpointshares.checkpointshare.io "nope" not found',
      details: { name: 'nope', group: 'checkpointshare.io', kind: 'checkpointshares' },
      code: 404,
    });
  });
});

describe('validation', () => {
  it('rejects an invalid object with 422 and causes that name the fields', async () => {
    const bad = share('invalid', 'team-a', {
      checkpoint: 'gpt-4',
      projectIds: ['proj_a', 'proj_a'],
      mode: 'Exclusive',
    });
    const failure = await failureOf(
      k.custom.createNamespacedCustomObject({ ...CPS, namespace: 'team-a', body: bad }),
    );
    expect(failure.code).toBe(422);
    expect(failure.status?.reason).toBe('Invalid');
    expect(failure.status?.message).toMatch(
      /^CheckpointShare\.checkpointshare\.io "invalid" is invalid: \[spec\.checkpoint: Invalid value: "gpt-4"/,
    );
    expect(failure.status?.details?.causes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'spec.checkpoint', reason: 'FieldValueInvalid' }),
        expect.objectContaining({
          field: 'spec.projectIds[1]',
          reason: 'FieldValueDuplicate',
          message: 'Duplicate value: "proj_a"',
        }),
        expect.objectContaining({ field: 'spec.mode', reason: 'FieldValueNotSupported' }),
      ]),
    );
  });

  it.each([
    { reason: 'Strict refuses unknown fields with 400', fieldValidation: 'Strict', code: 400 },
    { reason: 'Warn prunes them and says so in a Warning header', fieldValidation: 'Warn', code: 201 },
    { reason: 'Ignore prunes them silently', fieldValidation: 'Ignore', code: 201 },
    { reason: 'the default is Warn', fieldValidation: undefined, code: 201 },
  ])('$reason', async ({ fieldValidation, code }) => {
    counter += 1;
    const body = share(`unknown-${counter}`, 'team-a', { colour: 'blue' });
    const call = k.custom.createNamespacedCustomObjectWithHttpInfo({
      ...CPS,
      namespace: 'team-a',
      body,
      ...(fieldValidation ? { fieldValidation } : {}),
    });
    if (code === 400) {
      const failure = await failureOf(call);
      expect(failure.code).toBe(400);
      expect(failure.status?.reason).toBe('BadRequest');
      expect(failure.status?.message).toBe(
        'CheckpointShare in version "v1alpha1" cannot be handled as a CheckpointShare: strict decoding error: unknown field "spec.colour"',
      );
      return;
    }
    const response = await call;
    expect(response.httpStatusCode).toBe(201);
    expect((response.data as StoredShare).spec.colour).toBeUndefined();
    const warning = response.headers.warning;
    if (fieldValidation === 'Ignore') expect(warning).toBeUndefined();
    else expect(warning).toBe('299 - "unknown field \\"spec.colour\\""');
  });

  it('validates status writes against the status schema', async () => {
    const obj = await created();
    const failure = await failureOf(
      k.custom.patchNamespacedCustomObjectStatus(
        { ...CPS, namespace: 'team-a', name: obj.metadata.name, body: { status: { grantedCount: 'two' } } },
        mergePatch,
      ),
    );
    expect(failure.code).toBe(422);
    expect(failure.status?.details?.causes?.[0]?.field).toBe('status.grantedCount');
  });
});

describe('generation and resourceVersion', () => {
  it('counts spec changes only, and a write that changes nothing writes nothing', async () => {
    const obj = await created();
    const name = obj.metadata.name;
    const patched = (await k.custom.patchNamespacedCustomObject(
      { ...CPS, namespace: 'team-a', name, body: { spec: { projectIds: ['proj_a', 'proj_b'] } } },
      mergePatch,
    )) as StoredShare;
    expect(patched.metadata.generation).toBe(2);
    expect(Number(patched.metadata.resourceVersion)).toBeGreaterThan(Number(obj.metadata.resourceVersion));

    const labelled = (await k.custom.patchNamespacedCustomObject(
      { ...CPS, namespace: 'team-a', name, body: { metadata: { labels: { team: 'a' } } } },
      mergePatch,
    )) as StoredShare;
    expect(labelled.metadata.generation).toBe(2);

    const withStatus = (await k.custom.patchNamespacedCustomObjectStatus(
      { ...CPS, namespace: 'team-a', name, body: { status: { observedGeneration: 2, desiredCount: 2 } } },
      mergePatch,
    )) as StoredShare;
    expect(withStatus.metadata.generation).toBe(2);
    expect(withStatus.status).toEqual({ observedGeneration: 2, desiredCount: 2 });

    const again = (await k.custom.replaceNamespacedCustomObject({
      ...CPS,
      namespace: 'team-a',
      name,
      body: withStatus,
    })) as StoredShare;
    expect(again.metadata.resourceVersion).toBe(withStatus.metadata.resourceVersion);
  });

  it('refuses an update with a stale resourceVersion with 409 Conflict', async () => {
    const obj = await created();
    const name = obj.metadata.name;
    await k.custom.patchNamespacedCustomObject(
      { ...CPS, namespace: 'team-a', name, body: { spec: { suspend: true } } },
      mergePatch,
    );
    const stale = { ...obj, spec: { ...obj.spec, projectIds: ['proj_z'] } };
    for (const call of [
      k.custom.replaceNamespacedCustomObject({ ...CPS, namespace: 'team-a', name, body: stale }),
      k.custom.replaceNamespacedCustomObjectStatus({ ...CPS, namespace: 'team-a', name, body: stale }),
      k.custom.patchNamespacedCustomObject(
        {
          ...CPS,
          namespace: 'team-a',
          name,
          body: { metadata: { resourceVersion: obj.metadata.resourceVersion } },
        },
        mergePatch,
      ),
    ]) {
      const failure = await failureOf(call);
      expect(failure.code).toBe(409);
      expect(failure.status?.reason).toBe('Conflict');
      expect(failure.status?.message).toBe(
        `Operation cannot be fulfilled on checkpointshares.checkpointshare.io "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
  });

  it('requires a resourceVersion on PUT, as for every custom resource (422)', async () => {
    const obj = await created();
    const { resourceVersion: _rv, ...metadata } = obj.metadata;
    const failure = await failureOf(
      k.custom.replaceNamespacedCustomObject({
        ...CPS,
        namespace: 'team-a',
        name: obj.metadata.name,
        body: { ...obj, metadata },
      }),
    );
    expect(failure.code).toBe(422);
    expect(failure.status?.message).toBe(
      `CheckpointShare.checkpointshare.io "${obj.metadata.name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
    );
  });
});

describe('status subresource', () => {
  it('keeps status out of writes to the main resource', async () => {
    const obj = await created();
    const replaced = (await k.custom.replaceNamespacedCustomObject({
      ...CPS,
      namespace: 'team-a',
      name: obj.metadata.name,
      body: { ...obj, spec: { ...obj.spec, suspend: true }, status: { desiredCount: 5 } },
    })) as StoredShare;
    expect(replaced.spec.suspend).toBe(true);
    expect(replaced.status).toBeUndefined();
  });

  it('keeps spec and metadata out of writes to /status', async () => {
    const obj = await created();
    const written = (await k.custom.replaceNamespacedCustomObjectStatus({
      ...CPS,
      namespace: 'team-a',
      name: obj.metadata.name,
      body: {
        ...obj,
        metadata: { ...obj.metadata, labels: { sneaky: 'yes' } },
        spec: { ...obj.spec, projectIds: [] },
        status: { grantedCount: 1 },
      },
    })) as StoredShare;
    expect(written.status).toEqual({ grantedCount: 1 });
    expect(written.spec.projectIds).toEqual(['proj_a']);
    expect(written.metadata.labels).toBeUndefined();
    expect(written.metadata.generation).toBe(1);
  });
});

describe('patch', () => {
  it('treats a body sent with client-node’s default content type as a JSON patch', async () => {
    const obj = await created();
    const failure = await failureOf(
      k.custom.patchNamespacedCustomObject({
        ...CPS,
        namespace: 'team-a',
        name: obj.metadata.name,
        body: { spec: { suspend: true } },
      }),
    );
    expect(failure.code).toBe(400);
    expect(failure.status?.reason).toBe('BadRequest');
  });

  it('applies a JSON patch whose test op holds, and refuses one whose test fails with 422', async () => {
    const obj = await created({}, { finalizers: [FINALIZER] });
    const name = obj.metadata.name;
    const failure = await failureOf(
      k.custom.patchNamespacedCustomObject({
        ...CPS,
        namespace: 'team-a',
        name,
        body: [
          { op: 'test', path: '/metadata/finalizers/0', value: 'someone.else/finalizer' },
          { op: 'remove', path: '/metadata/finalizers/0' },
        ],
      }),
    );
    expect(failure.code).toBe(422);
    expect(failure.status?.reason).toBe('Invalid');
    expect(failure.status?.details?.causes?.[0]?.message).toBe(
      'testing value /metadata/finalizers/0 failed: test failed',
    );

    const patched = (await k.custom.patchNamespacedCustomObject({
      ...CPS,
      namespace: 'team-a',
      name,
      body: [
        { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion },
        { op: 'add', path: '/spec/projectIds/-', value: 'proj_c' },
      ],
    })) as StoredShare;
    expect(patched.spec.projectIds).toEqual(['proj_a', 'proj_c']);
  });

  it('refuses strategic merge patch on a custom resource with 415', async () => {
    const obj = await created();
    const failure = await failureOf(
      k.custom.patchNamespacedCustomObject(
        { ...CPS, namespace: 'team-a', name: obj.metadata.name, body: { spec: { suspend: true } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(failure.code).toBe(415);
    expect(failure.status?.reason).toBe('UnsupportedMediaType');
  });
});

describe('finalizers', () => {
  it('marks an object with finalizers as deleting, and lets it go when the last one is removed', async () => {
    const obj = await created({}, { finalizers: [FINALIZER] });
    const name = obj.metadata.name;
    const deleting = (await k.custom.deleteNamespacedCustomObject({
      ...CPS,
      namespace: 'team-a',
      name,
    })) as StoredShare;
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    expect(deleting.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(deleting.metadata.generation).toBe(2);
    expect((await read(name)).metadata.finalizers).toEqual([FINALIZER]);

    const again = (await k.custom.deleteNamespacedCustomObject({
      ...CPS,
      namespace: 'team-a',
      name,
    })) as StoredShare;
    expect(again.metadata.resourceVersion).toBe(deleting.metadata.resourceVersion);

    const added = await failureOf(
      k.custom.patchNamespacedCustomObject(
        {
          ...CPS,
          namespace: 'team-a',
          name,
          body: { metadata: { finalizers: [FINALIZER, 'example.com/other'] } },
        },
        mergePatch,
      ),
    );
    expect(added.code).toBe(422);
    expect(added.status?.details?.causes).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'metadata.finalizers',
        message:
          'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/other"}',
      },
    ]);

    await k.custom.patchNamespacedCustomObject({
      ...CPS,
      namespace: 'team-a',
      name,
      body: [
        { op: 'test', path: '/metadata/finalizers/0', value: FINALIZER },
        { op: 'remove', path: '/metadata/finalizers/0' },
      ],
    });
    const gone = await failureOf(read(name));
    expect(gone.code).toBe(404);
  });

  it('deletes an object without finalizers at once and answers with it', async () => {
    const obj = await created();
    const deleted = (await k.custom.deleteNamespacedCustomObject({
      ...CPS,
      namespace: 'team-a',
      name: obj.metadata.name,
    })) as StoredShare;
    expect(deleted.metadata.uid).toBe(obj.metadata.uid);
    expect((await failureOf(read(obj.metadata.name))).code).toBe(404);
  });

  it('honours delete preconditions', async () => {
    const obj = await created();
    const failure = await failureOf(
      k.custom.deleteNamespacedCustomObject({
        ...CPS,
        namespace: 'team-a',
        name: obj.metadata.name,
        body: { preconditions: { uid: 'not-the-uid' } },
      }),
    );
    expect(failure.code).toBe(409);
    expect(failure.status?.message).toContain('Precondition failed: UID in precondition: not-the-uid');
  });
});

describe('list', () => {
  it('selects by label and by field, in a namespace and across all', async () => {
    const ns = 'selectors';
    const make = (name: string, labels: Record<string, string>) =>
      k.custom.createNamespacedCustomObject({
        ...CPS,
        namespace: ns,
        body: { ...share(name, ns), metadata: { name, namespace: ns, labels } },
      });
    await make('red-prod', { colour: 'red', env: 'prod' });
    await make('red-dev', { colour: 'red', env: 'dev' });
    await make('blue', { colour: 'blue' });
    const names = async (query: { labelSelector?: string; fieldSelector?: string }) => {
      const list = (await k.custom.listNamespacedCustomObject({ ...CPS, namespace: ns, ...query })) as {
        items: StoredShare[];
        metadata: { resourceVersion: string };
      };
      expect(list.metadata.resourceVersion).toMatch(/^\d+$/);
      return list.items.map((i) => i.metadata.name);
    };
    expect(await names({ labelSelector: 'colour=red' })).toEqual(['red-dev', 'red-prod']);
    expect(await names({ labelSelector: 'colour=red,env!=prod' })).toEqual(['red-dev']);
    expect(await names({ labelSelector: 'env' })).toEqual(['red-dev', 'red-prod']);
    expect(await names({ labelSelector: '!env' })).toEqual(['blue']);
    expect(await names({ labelSelector: 'env in (dev,test)' })).toEqual(['red-dev']);
    expect(await names({ fieldSelector: 'metadata.name=blue' })).toEqual(['blue']);
    expect(await names({ fieldSelector: 'metadata.name!=blue', labelSelector: 'colour' })).toEqual([
      'red-dev',
      'red-prod',
    ]);

    const all = (await k.custom.listCustomObjectForAllNamespaces({
      group: CPS.group,
      version: CPS.version,
      resourcePlural: CPS.plural,
      fieldSelector: `metadata.namespace=${ns}`,
    })) as {
      items: StoredShare[];
    };
    expect(all.items).toHaveLength(3);

    const unsupported = await failureOf(
      k.custom.listNamespacedCustomObject({ ...CPS, namespace: ns, fieldSelector: 'spec.mode=Managed' }),
    );
    expect(unsupported.code).toBe(400);
    expect(unsupported.status?.message).toBe(
      '"spec.mode" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it('pages with limit and continue', async () => {
    const ns = 'paging';
    for (const name of ['a', 'b', 'c']) {
      await k.custom.createNamespacedCustomObject({ ...CPS, namespace: ns, body: share(name, ns) });
    }
    type Page = { items: StoredShare[]; metadata: { continue?: string; remainingItemCount?: number } };
    const first = (await k.custom.listNamespacedCustomObject({ ...CPS, namespace: ns, limit: 2 })) as Page;
    expect(first.items.map((i) => i.metadata.name)).toEqual(['a', 'b']);
    expect(first.metadata.remainingItemCount).toBe(1);
    const second = (await k.custom.listNamespacedCustomObject({
      ...CPS,
      namespace: ns,
      limit: 2,
      _continue: first.metadata.continue ?? '',
    })) as Page;
    expect(second.items.map((i) => i.metadata.name)).toEqual(['c']);
    expect(second.metadata.continue).toBeUndefined();
  });
});
