import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PatchStrategy, setHeaderOptions, V1MicroTime } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CPS, type StandInClients, type StoredShare, startWithClients } from './support/kube-stand-in.js';
import { EVENT_SOURCE } from './support/operator-names.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const CRDS = fileURLToPath(new URL('../../../crds/', import.meta.url));
const CRD_NAME = 'checkpointshares.checkpointshare.io';
const EXAMPLE_NAMES = [
  'weather-to-analytics',
  'support-bot-for-search',
  'support-bot-for-bi',
  'fraud-model-locked-down',
  'legacy-classifier-hands-off',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let k: StandInClients;
let home: string;
let kubeconfig: string;

/** Runs the real kubectl (it must be on PATH: a missing binary fails the test) against the stand-in. */
function kubectl(args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], {
      // A private HOME keeps kubectl's discovery cache out of the developer's.
      env: { ...process.env, HOME: home, KUBECONFIG: kubeconfig },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

beforeAll(async () => {
  k = await startWithClients();
  home = await mkdtemp(join(tmpdir(), 'kube-api-kubectl-'));
  kubeconfig = join(home, 'kubeconfig');
  await k.standIn.writeKubeconfig(kubeconfig);
});

afterAll(async () => {
  await k.standIn.close();
  await rm(home, { recursive: true, force: true });
});

describe('kubectl against the stand-in', () => {
  it('applies examples/, and applying them again changes nothing', async () => {
    const first = await kubectl(['apply', '-f', EXAMPLES]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(lines(first.stdout)).toEqual(
      EXAMPLE_NAMES.map((name) => `checkpointshare.checkpointshare.io/${name} created`),
    );
    const versions = k.standIn.store.resourceVersion();

    const second = await kubectl(['apply', '-f', EXAMPLES]);
    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual(
      EXAMPLE_NAMES.map((name) => `checkpointshare.checkpointshare.io/${name} unchanged`),
    );
    expect(k.standIn.store.resourceVersion()).toBe(versions);
    const applied = k.standIn.store.get('checkpointshares', 'ml-platform', 'weather-to-analytics');
    expect(applied?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain(
      'weather-to-analytics',
    );
  });

  it('prints the CRD printer columns in kubectl get', async () => {
    await k.custom.patchNamespacedCustomObjectStatus(
      {
        ...CPS,
        namespace: 'ml-platform',
        name: 'weather-to-analytics',
        body: {
          status: {
            grantedCount: 1,
            desiredCount: 1,
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'Converged',
                message: 'all granted',
                lastTransitionTime: '2026-11-29T08:00:00Z',
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const all = await kubectl(['get', 'cps', '-A']);
    expect(all.code).toBe(0);
    const [header, ...rows] = lines(all.stdout);
    expect(header?.split(/\s+/)).toEqual([
      'NAMESPACE',
      'NAME',
      'CHECKPOINT',
      'GRANTED',
      'DESIRED',
      'READY',
      'REASON',
      'AGE',
    ]);
    expect(rows).toHaveLength(5);
    const weather = rows.find((r) => r.includes('weather-to-analytics'))?.split(/\s+/);
    expect(weather?.slice(0, 7)).toEqual([
      'ml-platform',
      'weather-to-analytics',
      'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd',
      '1',
      '1',
      'True',
      'Converged',
    ]);
    expect(weather?.[7]).toMatch(/^\d+s$/);

    // -o wide adds the columns of priority 1: the mode and the Ready message.
    const wide = await kubectl(['get', 'cps', 'weather-to-analytics', '-n', 'ml-platform', '-o', 'wide']);
    expect(wide.code).toBe(0);
    const [wideHeader, wideRow] = lines(wide.stdout);
    expect(wideHeader?.split(/\s+/).slice(-3)).toEqual(['AGE', 'MODE', 'MESSAGE']);
    expect(wideRow).toMatch(/Managed\s+all granted$/);
  });

  it('describes an object with its events', async () => {
    const obj = k.standIn.store.get('checkpointshares', 'ml-platform', 'weather-to-analytics') as
      | StoredShare
      | undefined;
    await k.events.createNamespacedEvent({
      namespace: 'ml-platform',
      body: {
        metadata: { name: 'weather-to-analytics.granted', namespace: 'ml-platform' },
        eventTime: new V1MicroTime(),
        reportingController: EVENT_SOURCE,
        reportingInstance: 'test',
        action: 'Grant',
        reason: 'Granted',
        type: 'Normal',
        note: 'Granted proj_analytics01',
        regarding: {
          apiVersion: 'checkpointshare.io/v1alpha1',
          kind: 'CheckpointShare',
          name: 'weather-to-analytics',
          namespace: 'ml-platform',
          ...(obj ? { uid: obj.metadata.uid } : {}),
        },
      },
    });
    const described = await kubectl(['describe', 'cps', 'weather-to-analytics', '-n', 'ml-platform']);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/Checkpoint:\s+ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd/);
    expect(described.stdout).toMatch(/Normal\s+Granted\s+.*Granted proj_analytics01/);
  });

  it('reports an invalid manifest with the field the CRD rejects', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'checkpointshare.io/v1alpha1',
      kind: 'CheckpointShare',
      metadata: { name: 'broken', namespace: 'ml-platform' },
      spec: { checkpoint: 'ft-abc', projectIds: ['proj_a', 'proj_a'] },
    });
    const run = await kubectl(['apply', '-f', '-'], manifest);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('spec.projectIds[1]: Duplicate value: "proj_a"');
  });

  it('refuses an interval under the 30s floor, naming spec.interval as the API server does', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'checkpointshare.io/v1alpha1',
      kind: 'CheckpointShare',
      metadata: { name: 'hasty', namespace: 'ml-platform' },
      spec: { checkpoint: 'ft-abc', interval: '1ms' },
    });
    const run = await kubectl(['apply', '-f', '-'], manifest);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('spec.interval: Invalid value: "1ms": must be at least 30s');
  });

  it('leaves CheckpointShares alone on kubectl delete all --all: deleting one revokes its grants', async () => {
    const names = async () =>
      lines((await kubectl(['get', 'cps', '-n', 'ml-platform', '-o', 'name'])).stdout);
    const before = await names();
    expect(before.length).toBeGreaterThan(0);
    await kubectl(['delete', 'all', '--all', '-n', 'ml-platform']);
    expect(await names()).toEqual(before);
  });

  it('deletes what it applied', async () => {
    const deleted = await kubectl(['delete', '-f', EXAMPLES]);
    expect(deleted.code).toBe(0);
    expect(lines(deleted.stdout)).toEqual(
      EXAMPLE_NAMES.map((name) => `checkpointshare.checkpointshare.io "${name}" deleted`),
    );
    const after = await kubectl(['get', 'cps', '-A']);
    expect(after.code).toBe(0);
    expect(after.stdout).toBe('');
    expect(after.stderr.trim()).toBe('No resources found');
  });
});

describe('kubectl and the pre-installed CRD', () => {
  it('lists it in kubectl get crd', async () => {
    const run = await kubectl(['get', 'crd']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [header, ...rows] = lines(run.stdout);
    expect(header?.split(/\s{2,}/)).toEqual(['NAME', 'CREATED AT']);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual([
      'checkpointsharepolicies.checkpointshare.io',
      CRD_NAME,
    ]);
    expect(rows[0]?.split(/\s+/)[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('prints it as YAML, established, with its stored metadata', async () => {
    const run = await kubectl(['get', 'crd', CRD_NAME, '-o', 'yaml']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`name: ${CRD_NAME}`);
    expect(run.stdout).toMatch(/uid: [0-9a-f-]{36}/);
    expect(run.stdout).toMatch(/status: "True"\n\s+type: Established/);
  });

  const applies: { why: string; args: string[] }[] = [
    { why: 'the kustomization the README installs with', args: ['apply', '-k', CRDS] },
    {
      why: 'the CRD file itself',
      args: ['apply', '-f', join(CRDS, 'checkpointshare.io_checkpointshares.yaml')],
    },
    { why: 'server-side apply', args: ['apply', '--server-side', '-k', CRDS] },
  ];

  it.each(applies)(
    'refuses kubectl $args.0 $args.1 of crds/ ($why) saying the CRD is pre-installed',
    async (a) => {
      const run = await kubectl(a.args);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(
        'the sandbox\'s CustomResourceDefinitions are pre-installed and read-only: skip "kubectl apply -k crds/" against the sandbox',
      );
      expect(run.stderr).not.toContain('mime:');
    },
  );

  it('still explains checkpointshares from the CRD schema', async () => {
    const run = await kubectl(['explain', 'checkpointshares']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/GROUP:\s+checkpointshare\.io\nKIND:\s+CheckpointShare\nVERSION:\s+v1alpha1/);
    expect(run.stdout).toMatch(/spec\t<Object> -required-/);
  });
});
