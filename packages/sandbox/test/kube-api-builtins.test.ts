import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
  type V1LeaseSpec,
  V1MicroTime,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CPS,
  failureOf,
  type StandInClients,
  type StoredShare,
  share,
  startWithClients,
} from './support/kube-stand-in.js';
import { EVENT_SOURCE } from './support/operator-names.js';

let k: StandInClients;

beforeAll(async () => {
  k = await startWithClients({
    secrets: [
      { namespace: 'operator', name: 'openai-admin', stringData: { OPENAI_ADMIN_KEY: 'sk-admin-test' } },
    ],
  });
});

afterAll(async () => {
  await k.standIn.close();
});

function lease(name: string, spec: V1LeaseSpec): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'operator' },
    spec,
  };
}

describe('leases', () => {
  it('stores MicroTime with six fractional digits and refuses a plain Date (400)', async () => {
    const now = new V1MicroTime('2026-11-29T08:00:00.123Z');
    const created = await k.coordination.createNamespacedLease({
      namespace: 'operator',
      body: lease('leader', {
        holderIdentity: 'pod-a',
        leaseDurationSeconds: 15,
        acquireTime: now,
        renewTime: now,
      }),
    });
    expect(created.spec?.renewTime as unknown).toBe('2026-11-29T08:00:00.123000Z');

    const failure = await failureOf(
      k.coordination.createNamespacedLease({
        namespace: 'operator',
        body: lease('with-a-date', {
          holderIdentity: 'pod-a',
          renewTime: new Date('2026-11-29T08:00:00.123Z'),
        }),
      }),
    );
    expect(failure.code).toBe(400);
    expect(failure.status?.reason).toBe('BadRequest');
    expect(failure.status?.message).toBe(
      'Lease in version "v1" cannot be handled as a Lease: parsing time "2026-11-29T08:00:00.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"',
    );
  });

  it('refuses a takeover based on a stale read with 409, and validates the spec', async () => {
    const first = await k.coordination.createNamespacedLease({
      namespace: 'operator',
      body: lease('election', { holderIdentity: 'pod-a', leaseDurationSeconds: 15 }),
    });
    const renewed = await k.coordination.replaceNamespacedLease({
      name: 'election',
      namespace: 'operator',
      body: { ...first, spec: { ...first.spec, renewTime: new V1MicroTime() } },
    });
    expect(Number(renewed.metadata?.resourceVersion)).toBeGreaterThan(
      Number(first.metadata?.resourceVersion),
    );

    const takeover = await failureOf(
      k.coordination.replaceNamespacedLease({
        name: 'election',
        namespace: 'operator',
        body: { ...first, spec: { ...first.spec, holderIdentity: 'pod-b' } },
      }),
    );
    expect(takeover.code).toBe(409);
    expect(takeover.status?.message).toBe(
      'Operation cannot be fulfilled on leases.coordination.k8s.io "election": the object has been modified; please apply your changes to the latest version and try again',
    );

    const invalid = await failureOf(
      k.coordination.replaceNamespacedLease({
        name: 'election',
        namespace: 'operator',
        body: { ...renewed, spec: { ...renewed.spec, leaseDurationSeconds: 0 } },
      }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.status?.message).toBe(
      'Lease.coordination.k8s.io "election" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    );

    const list = await k.coordination.listNamespacedLease({ namespace: 'operator' });
    expect(list.items.map((l) => l.metadata?.name)).toEqual(['election', 'leader']);
  });
});

describe('events', () => {
  it('serves one Event through core/v1 and events.k8s.io/v1 alike', async () => {
    const obj = (await k.custom.createNamespacedCustomObject({
      ...CPS,
      namespace: 'team-e',
      body: share('evented', 'team-e'),
    })) as StoredShare;
    const regarding = {
      apiVersion: 'checkpointshare.io/v1alpha1',
      kind: 'CheckpointShare',
      name: 'evented',
      namespace: 'team-e',
      uid: obj.metadata.uid,
    };
    await k.events.createNamespacedEvent({
      namespace: 'team-e',
      body: {
        metadata: { name: 'evented.granted', namespace: 'team-e' },
        eventTime: new V1MicroTime(),
        reportingController: EVENT_SOURCE,
        reportingInstance: 'pod-a',
        action: 'Grant',
        reason: 'Granted',
        type: 'Normal',
        note: 'Granted proj_a',
        regarding,
      },
    });
    await k.core.createNamespacedEvent({
      namespace: 'team-e',
      body: {
        metadata: { name: 'evented.legacy', namespace: 'team-e' },
        involvedObject: regarding,
        reason: 'GrantFailed',
        message: 'proj_b is the owning project',
        type: 'Warning',
        source: { component: EVENT_SOURCE },
        count: 1,
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
      },
    });
    const core = await k.core.listNamespacedEvent({
      namespace: 'team-e',
      fieldSelector: `involvedObject.name=evented,involvedObject.kind=CheckpointShare,involvedObject.uid=${obj.metadata.uid}`,
    });
    expect(core.items.map((e) => [e.reason, e.message, e.reportingComponent ?? e.source?.component])).toEqual(
      [
        ['Granted', 'Granted proj_a', EVENT_SOURCE],
        ['GrantFailed', 'proj_b is the owning project', EVENT_SOURCE],
      ],
    );
    const modern = await k.events.readNamespacedEvent({ name: 'evented.legacy', namespace: 'team-e' });
    expect(modern.note).toBe('proj_b is the owning project');
    expect(modern.regarding?.name).toBe('evented');
    expect(k.standIn.store.list('events', 'team-e')).toHaveLength(2);
  });

  it('applies the strict events.k8s.io rules', async () => {
    const failure = await failureOf(
      k.events.createNamespacedEvent({
        namespace: 'team-e',
        body: {
          metadata: { name: 'bad', namespace: 'team-e' },
          eventTime: new V1MicroTime(),
          reason: 'Granted',
          type: 'Fine',
          regarding: { kind: 'CheckpointShare', name: 'x', namespace: 'team-e' },
        },
      }),
    );
    expect(failure.code).toBe(422);
    expect(failure.status?.details?.causes?.map((c) => c.field)).toEqual([
      'reportingController',
      'reportingController',
      'reportingInstance',
      'action',
      'type',
    ]);
  });

  it('patches an event with a strategic merge patch, as client-go event recorders do', async () => {
    await k.core.createNamespacedEvent({
      namespace: 'team-e',
      body: {
        metadata: { name: 'counted', namespace: 'team-e' },
        involvedObject: { kind: 'CheckpointShare', name: 'x', namespace: 'team-e' },
        reason: 'Granted',
        count: 1,
      },
    });
    const patched = await k.core.patchNamespacedEvent(
      { name: 'counted', namespace: 'team-e', body: { count: 2 } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.count).toBe(2);
  });
});

describe('secrets and namespaces', () => {
  it('serves seeded secrets base64-encoded', async () => {
    const secret = await k.core.readNamespacedSecret({ name: 'openai-admin', namespace: 'operator' });
    expect(Buffer.from(secret.data?.OPENAI_ADMIN_KEY ?? '', 'base64').toString()).toBe('sk-admin-test');
    expect(secret.type).toBe('Opaque');
  });

  it('refuses to delete a namespace (405)', async () => {
    const failure = await failureOf(k.core.deleteNamespace({ name: 'operator' }));
    expect(failure.code).toBe(405);
    expect(failure.status?.reason).toBe('MethodNotAllowed');
  });
});

describe('authentication', () => {
  it('requires the bearer token the kubeconfig carries', async () => {
    const secured = await startWithClients({ token: 'sandbox-token' });
    try {
      expect(secured.standIn.kubeconfig()).toContain('token: sandbox-token');
      await secured.core.listNamespace();

      const dir = await mkdtemp(join(tmpdir(), 'kube-api-auth-'));
      try {
        await secured.standIn.writeKubeconfig(join(dir, 'kubeconfig'));
        const fromFile = new KubeConfig();
        fromFile.loadFromFile(join(dir, 'kubeconfig'));
        expect(fromFile.getCurrentCluster()?.skipTLSVerify).toBe(true);
        await fromFile.makeApiClient(CoreV1Api).listNamespace();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }

      const wrong = new KubeConfig();
      wrong.loadFromString(secured.standIn.kubeconfig().replace('sandbox-token', 'stolen'));
      const failure = await failureOf(wrong.makeApiClient(CoreV1Api).listNamespace());
      expect(failure.code).toBe(401);

      const raw = await fetch(`${secured.standIn.url}/apis`);
      expect(raw.status).toBe(401);
      expect(await raw.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      expect(secured.standIn.requests().map((r) => r.status)).toEqual([200, 200, 401, 401]);
    } finally {
      await secured.standIn.close();
    }
  });
});

describe('faults', () => {
  it('fails the next matching requests with 429 and Retry-After, then recovers', async () => {
    k.standIn.faults.failNext({ count: 2, code: 429, retryAfterSeconds: 3, method: 'GET', path: /\/leases/ });
    await k.core.listNamespace();
    for (let i = 0; i < 2; i++) {
      const failure = await failureOf(k.coordination.listNamespacedLease({ namespace: 'operator' }));
      expect(failure.code).toBe(429);
      expect(failure.headers['retry-after']).toBe('3');
      expect(failure.status).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
    }
    await k.coordination.listNamespacedLease({ namespace: 'operator' });
  });

  it('fails with 500 InternalError and adds latency on request', async () => {
    k.standIn.faults.failNext({ count: 1 });
    const failure = await failureOf(k.core.listNamespace());
    expect(failure.code).toBe(500);
    expect(failure.status?.reason).toBe('InternalError');

    k.standIn.faults.setLatency(150);
    const started = Date.now();
    await k.core.listNamespace();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    k.standIn.faults.clear();
  });

  it('takes faults from the control endpoint too', async () => {
    const posted = await fetch(`${k.standIn.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ failNext: { count: 1, code: 503 } }),
    });
    expect(posted.status).toBe(200);
    const state = (await (await fetch(`${k.standIn.url}/_sandbox/state`)).json()) as {
      pendingFailures: number;
    };
    expect(state.pendingFailures).toBe(1);
    const failure = await failureOf(k.core.listNamespace());
    expect(failure.code).toBe(503);
  });
});

describe('request log', () => {
  it('records what an authorizer would see for each call', async () => {
    k.standIn.clearRequests();
    const obj = (await k.custom.createNamespacedCustomObject({
      ...CPS,
      namespace: 'logged',
      body: share('logged', 'logged'),
    })) as StoredShare;
    await k.custom.patchNamespacedCustomObjectStatus(
      { ...CPS, namespace: 'logged', name: 'logged', body: { status: { desiredCount: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await k.custom.listCustomObjectForAllNamespaces({
      group: CPS.group,
      version: CPS.version,
      resourcePlural: CPS.plural,
    });
    await failureOf(k.custom.getNamespacedCustomObject({ ...CPS, namespace: 'logged', name: 'missing' }));
    expect(obj.metadata.name).toBe('logged');
    expect(
      k.standIn.requests().map(({ verb, apiGroup, resource, subresource, namespace, name, status }) => ({
        verb,
        apiGroup,
        resource,
        subresource,
        namespace,
        name,
        status,
      })),
    ).toEqual([
      {
        verb: 'create',
        apiGroup: 'checkpointshare.io',
        resource: 'checkpointshares',
        subresource: undefined,
        namespace: 'logged',
        name: undefined,
        status: 201,
      },
      {
        verb: 'patch',
        apiGroup: 'checkpointshare.io',
        resource: 'checkpointshares',
        subresource: 'status',
        namespace: 'logged',
        name: 'logged',
        status: 200,
      },
      {
        verb: 'list',
        apiGroup: 'checkpointshare.io',
        resource: 'checkpointshares',
        subresource: undefined,
        namespace: undefined,
        name: undefined,
        status: 200,
      },
      {
        verb: 'get',
        apiGroup: 'checkpointshare.io',
        resource: 'checkpointshares',
        subresource: undefined,
        namespace: 'logged',
        name: 'missing',
        status: 404,
      },
    ]);
  });

  it('answers unknown paths and resources with a 404 Status', async () => {
    const response = await fetch(`${k.standIn.url}/apis/apps/v1/namespaces/x/deployments`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });
});
