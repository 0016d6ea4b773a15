import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConditionReason, GROUP, KIND } from '../../src/api/constants.js';
import {
  DESIGN_SETTINGS,
  grantedPermissions,
  OPERATOR_NAMESPACE,
  only,
  RUNTIME_SETTINGS,
  readRepoFile,
  renderKustomization,
  renderOverlay,
} from '../support/deploy-manifests.js';

const readme = readRepoFile('deploy/README.md');
const objects = renderKustomization();
const container = only<V1Deployment>(objects, 'Deployment').spec?.template.spec?.containers[0];

/** docs/design.md, "Process and settings". */
const DESIGN_METRICS = [
  'controller_runtime_reconcile_total',
  'controller_runtime_reconcile_errors_total',
  'controller_runtime_reconcile_time_seconds',
  'workqueue_depth',
  'workqueue_adds_total',
  'workqueue_retries_total',
  'workqueue_queue_duration_seconds',
  'workqueue_work_duration_seconds',
  'checkpointshare_openai_requests_total',
  'checkpointshare_openai_request_duration_seconds',
  'checkpointshare_permissions_granted_total',
  'checkpointshare_permissions_revoked_total',
  'checkpointshare_audit_log_events_total',
  'checkpointshare_audit_log_polls_total',
  'checkpointshare_audit_log_lag_seconds',
  'checkpointshare_drift_detection',
];

/** Rows of Markdown tables whose first cell is a code span: name -> the row's cells. */
function tableRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    const match = /^\| `([^`]+)` \|(.*)\|$/.exec(line);
    if (match?.[1])
      rows.set(
        match[1],
        (match[2] ?? '').split(' | ').map((cell) => cell.trim()),
      );
  }
  return rows;
}

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`deploy/README.md has no section "${title}"`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('deploy/README.md', () => {
  it('documents exactly the settings of docs/design.md, with the values the Deployment sets', () => {
    const rows = tableRows(section('Configuration'));
    expect([...rows.keys()]).toEqual([...DESIGN_SETTINGS]);
    for (const variable of container?.env ?? []) {
      // Not settings of the operator but of Node.js and glibc: documented under Sizing.
      if ((RUNTIME_SETTINGS as readonly string[]).includes(variable.name)) continue;
      if (variable.value)
        expect(rows.get(variable.name)?.[0], variable.name).toContain(`\`${variable.value}\``);
    }
  });

  it('states under Sizing the heap limits and memory the Deployment sets', () => {
    const sizing = section('Sizing');
    const nodeOptions = container?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    expect(nodeOptions).toBeTruthy();
    expect(sizing).toContain(`\`NODE_OPTIONS=${nodeOptions}\``);
    const arenas = container?.env?.find((e) => e.name === 'MALLOC_ARENA_MAX')?.value;
    expect(sizing).toContain(`\`MALLOC_ARENA_MAX=${arenas}\``);
    const trim = container?.env?.find((e) => e.name === 'MALLOC_TRIM_THRESHOLD_')?.value;
    expect(sizing).toContain(`\`MALLOC_TRIM_THRESHOLD_=${trim}\``);
    const mmap = container?.env?.find((e) => e.name === 'MALLOC_MMAP_THRESHOLD_')?.value;
    expect(sizing).toContain(`\`MALLOC_MMAP_THRESHOLD_=${mmap}\``);
    expect(sizing).toContain(`\`${container?.resources?.requests?.memory}\``);
    expect(sizing).toContain(`\`${container?.resources?.limits?.memory}\``);
  });

  it("Sizing's overlay patch raises the heap limit and the memory limit, whatever the env's order", () => {
    const block = /In an overlay:\n\n```yaml\n([\s\S]*?)```/.exec(section('Sizing'))?.[1];
    expect(block, 'a yaml block after "In an overlay:"').toBeDefined();
    const rendered = renderOverlay(`resources:\n  - DEPLOY_BASE\n${block ?? ''}`);
    const controller = only<V1Deployment>(rendered, 'Deployment').spec?.template.spec?.containers[0];
    const env = new Map((controller?.env ?? []).map((e) => [e.name, e.value]));
    expect(env.get('NODE_OPTIONS')).toBe('--max-old-space-size=256 --max-semi-space-size=2 --expose-gc');
    expect(env.get('MALLOC_ARENA_MAX')).toBe('2');
    expect(env.get('SHARE_POLICY')).toBe('open');
    expect(controller?.resources?.limits?.memory).toBe('512Mi');
  });

  it.each([
    ConditionReason.Unauthorized,
    ConditionReason.Forbidden,
    ConditionReason.CheckpointNotFound,
    ConditionReason.InvalidProject,
    ConditionReason.OwningProject,
    ConditionReason.Retrying,
    ConditionReason.BadResponse,
  ])('tells what to do about condition reason %s', (reason) => {
    expect(tableRows(section('Troubleshooting')).get(reason)?.[1]?.length ?? 0).toBeGreaterThan(80);
  });

  it('names every docs/design.md metric, and its alerts use no other', () => {
    const metrics = section('Metrics and alerts');
    expect(DESIGN_METRICS.filter((name) => !metrics.includes(name))).toEqual([]);
    const used = [...metrics.matchAll(/\b(?:controller_runtime|workqueue|checkpointshare)_[a-z_]+/g)].map(
      (m) => m[0].replace(/_(bucket|sum|count)$/, ''),
    );
    expect([...new Set(used)].filter((name) => !DESIGN_METRICS.includes(name))).toEqual([]);
  });

  it('explains every resource the RBAC grants', () => {
    const security = section('Security');
    const resources = new Set(
      grantedPermissions(objects, { name: 'checkpoint-share-operator', namespace: OPERATOR_NAMESPACE }).map(
        (p) => p.resource,
      ),
    );
    expect([...resources].filter((resource) => !security.includes(`\`${resource}\``))).toEqual([]);
  });

  it('names the Secret and key the Deployment reads, and the Argo CD key', () => {
    const ref = container?.env?.find((e) => e.name === 'OPENAI_ADMIN_KEY')?.valueFrom?.secretKeyRef;
    expect(readme).toContain(`secret generic ${ref?.name}`);
    expect(readme).toContain(`--from-literal=${ref?.key}=`);
    expect(readme).toContain(`resource.customizations.health.${GROUP}_${KIND}`);
  });

  it('has YAML examples that parse', () => {
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThan(3);
    const broken = blocks.filter((block) => parseAllDocuments(block).some((doc) => doc.errors.length > 0));
    expect(broken).toEqual([]);
  });
});

/** A Markdown section of a document: from its heading to the next heading of the same level. */
function sectionOf(markdown: string, heading: string): string {
  const level = /^#+/.exec(heading)?.[0] ?? '##';
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const end = markdown.indexOf(`\n${level} `, start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** The shell commands of a section's ```sh blocks, continuation lines joined, comments dropped. */
function commandsIn(text: string): string[] {
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => (m[1] ?? '').replace(/\\\n\s*/g, '').split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

const INSTALLS = [
  { reason: 'the root README', doc: 'README.md', heading: '## Install in a cluster' },
  { reason: 'deploy/README.md', doc: 'deploy/README.md', heading: '## Install' },
];

describe('the install commands, run as written on a fresh clone', () => {
  it.each(INSTALLS)('$reason builds and pushes the image before anything is applied', ({ doc, heading }) => {
    const commands = commandsIn(sectionOf(readRepoFile(doc), heading));
    const at = (prefix: string) => commands.findIndex((c) => c.startsWith(prefix));
    // npm run image tags "$IMAGE:<package.json version>" (deploy/build-image.sh).
    expect(at('export IMAGE=')).toBeGreaterThanOrEqual(0);
    expect(at('npm run image')).toBeGreaterThan(at('export IMAGE='));
    expect(at('docker push "$IMAGE:')).toBeGreaterThan(at('npm run image'));
    expect(at('kubectl apply -k')).toBeGreaterThan(at('docker push'));
  });

  it.each(INSTALLS)("$reason's overlay runs the image it built, with kubectl alone", ({ doc, heading }) => {
    const text = sectionOf(readRepoFile(doc), heading);
    const overlay = /cat > overlays\/mine\/kustomization\.yaml <<EOF\n([\s\S]*?)\nEOF\n/.exec(text)?.[1];
    expect(overlay, 'an overlay written with a heredoc').toBeDefined();
    const rendered = renderOverlay(
      (overlay ?? '').replace('../../deploy', 'DEPLOY_BASE').replaceAll('$IMAGE', 'ghcr.io/acme/cso'),
    );
    const image = only<V1Deployment>(rendered, 'Deployment').spec?.template.spec?.containers[0]?.image;
    expect(image).toBe('ghcr.io/acme/cso:0.1.0');
    const commands = commandsIn(text);
    expect(commands).toContain('kubectl apply -k overlays/mine');
    expect(
      commands.filter((c) => /^kustomize /.test(c)),
      'the standalone kustomize is not required',
    ).toEqual([]);
  });

  it.each(INSTALLS)(
    '$reason creates the namespace from its manifest, so apply -k does not warn about last-applied',
    ({ doc, heading }) => {
      const commands = commandsIn(sectionOf(readRepoFile(doc), heading));
      expect(commands.filter((c) => c.startsWith('kubectl create namespace'))).toEqual([]);
      const namespace = commands.indexOf('kubectl apply -f deploy/namespace.yaml');
      expect(namespace).toBeGreaterThanOrEqual(0);
      expect(commands.findIndex((c) => c.includes('create secret generic'))).toBeGreaterThan(namespace);
    },
  );

  it.each([
    { reason: 'the root README', doc: 'README.md' },
    { reason: 'deploy/README.md', doc: 'deploy/README.md' },
  ])('$reason applies crds/ as a kustomization (-f would also send crds/kustomization.yaml)', ({ doc }) => {
    expect(readRepoFile(doc)).not.toMatch(/kubectl apply -f crds/);
  });

  it('uninstalls in the order that revokes: the shares, then the operator, then the CRD', () => {
    const commands = commandsIn(sectionOf(readme, '## Uninstall'));
    const at = (prefix: string) => commands.findIndex((c) => c.startsWith(prefix));
    const shares = at('kubectl delete checkpointshares --all');
    const operator = at(`kubectl delete namespace ${OPERATOR_NAMESPACE}`);
    const rbac = at('kubectl delete clusterrolebinding,clusterrole -l app.kubernetes.io/part-of=');
    const crd = at('kubectl delete -k crds/');
    expect(shares).toBeGreaterThanOrEqual(0);
    expect(operator).toBeGreaterThan(shares);
    expect(rbac).toBeGreaterThan(shares);
    expect(crd).toBeGreaterThan(Math.max(operator, rbac));
    // Deleting the base would take the CRD, and with it any share left, at the operator's step.
    expect(commands.filter((c) => /delete -k (deploy|overlays)/.test(c))).toEqual([]);
  });

  it('the uninstall label selects exactly the cluster-wide RBAC the install creates', () => {
    const commands = commandsIn(sectionOf(readme, '## Uninstall'));
    const selector = commands
      .find((c) => c.startsWith('kubectl delete clusterrolebinding,clusterrole -l '))
      ?.split(' -l ')[1];
    const [key, value] = (selector ?? '').split('=');
    const selected = objects
      .filter((o) => o.metadata?.labels?.[key ?? ''] === value)
      .filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')
      .map((o) => o.kind);
    // The operator's ClusterRole and binding, and the two tenant roles (checkpointshare-edit, -view).
    expect(selected.sort()).toEqual(['ClusterRole', 'ClusterRole', 'ClusterRole', 'ClusterRoleBinding']);
  });
});
