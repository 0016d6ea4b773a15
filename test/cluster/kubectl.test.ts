import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import { DEPLOY_DIR, REPO_ROOT } from '../support/deploy-manifests.js';
import { type AdminClients, adminClients, freshNamespace } from './cluster-clients.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const EXAMPLE_FILES = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
const EXAMPLE_NAMES = EXAMPLE_FILES.flatMap((file) =>
  parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8')).map(
    (doc) => (doc.toJS() as { metadata: { name: string } }).metadata.name,
  ),
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let cluster: AdminClients;
let namespace: string;
let home: string;

/** kubectl from PATH (the harness puts the one built with the API server first). */
function kubectl(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], {
      // A private HOME keeps kubectl's discovery cache out of the developer's.
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
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
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

beforeAll(async () => {
  cluster = adminClients();
  namespace = await freshNamespace(cluster.core, 'cps-kubectl');
  home = mkdtempSync(join(tmpdir(), 'cps-kubectl-'));
});

afterAll(async () => {
  if (home) rmSync(home, { recursive: true, force: true });
  await cluster?.core.deleteNamespace({ name: namespace });
});

describe('kubectl against the real API server', () => {
  it('applies examples/ with -k into a namespace, and a second apply changes nothing', async () => {
    // examples/ name their own namespaces; an overlay moves them into this test's.
    const dir = mkdtempSync(join(home, 'examples-'));
    for (const file of EXAMPLE_FILES) copyFileSync(join(EXAMPLES, file), join(dir, file));
    writeFileSync(join(dir, 'kustomization.yaml'), stringify({ namespace, resources: EXAMPLE_FILES }));

    const first = await kubectl(['apply', '-k', dir]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(lines(first.stdout).sort()).toEqual(
      EXAMPLE_NAMES.map((name) => `checkpointshare.checkpointshare.io/${name} created`).sort(),
    );
    const second = await kubectl(['apply', '-k', dir]);
    expect(second.code).toBe(0);
    expect(lines(second.stdout).sort()).toEqual(
      EXAMPLE_NAMES.map((name) => `checkpointshare.checkpointshare.io/${name} unchanged`).sort(),
    );
  });

  it('apply -f of an invalid share fails naming the field and the CEL rule message', async () => {
    const file = join(home, 'too-often.yaml');
    writeFileSync(
      file,
      stringify({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'CheckpointShare',
        metadata: { name: 'too-often', namespace },
        spec: { checkpoint: 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd', interval: '10s' },
      }),
    );
    const run = await kubectl(['apply', '-f', file]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('spec.interval: Invalid value: "10s": must be at least 30s');
  });

  it('prints the CRD printer columns in kubectl get cps', async () => {
    await cluster.custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
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
    const run = await kubectl(['get', 'cps', '-n', namespace]);
    expect(run.code).toBe(0);
    const [header, ...rows] = lines(run.stdout);
    expect(header?.split(/\s+/)).toEqual([
      'NAME',
      'CHECKPOINT',
      'GRANTED',
      'DESIRED',
      'READY',
      'REASON',
      'AGE',
    ]);
    const weather = rows.find((r) => r.startsWith('weather-to-analytics '))?.split(/\s+/);
    expect(weather?.slice(0, 6)).toEqual([
      'weather-to-analytics',
      'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd',
      '1',
      '1',
      'True',
      'Converged',
    ]);
    expect(rows).toHaveLength(EXAMPLE_NAMES.length);

    // -o wide adds the columns of priority 1: the mode and the Ready message.
    const wide = await kubectl(['get', 'cps', 'weather-to-analytics', '-n', namespace, '-o', 'wide']);
    expect(wide.code).toBe(0);
    const [wideHeader, wideRow] = lines(wide.stdout);
    expect(wideHeader?.split(/\s+/).slice(-3)).toEqual(['AGE', 'MODE', 'MESSAGE']);
    expect(wideRow).toMatch(/Managed\s+all granted$/);
  });

  it('explains checkpointshare.spec from the CRD schema', async () => {
    const run = await kubectl(['explain', 'checkpointshare.spec']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`GROUP:      ${GROUP}\nKIND:       CheckpointShare\nVERSION:    ${VERSION}`);
    for (const field of ['checkpoint', 'projectIds', 'mode', 'deletionPolicy', 'suspend', 'interval'])
      expect(run.stdout).toMatch(new RegExp(`^  ${field}\\s`, 'm'));
    expect(run.stdout).toMatch(/checkpoint\s+<string> -required-/);
  });

  it('accepts every object of deploy/ in a server-side dry run of apply -k', async () => {
    const run = await kubectl(['apply', '-k', DEPLOY_DIR, '--dry-run=server']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(
      lines(run.stdout).every((l) => / (created|unchanged|configured) \(server dry run\)$/.test(l)),
    ).toBe(true);
  });
});
