import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConditionReason, GROUP, KIND } from '../../src/api/constants.js';
import {
  DESIGN_SETTINGS,
  grantedPermissions,
  OPERATOR_NAMESPACE,
  only,
  readRepoFile,
  renderKustomization,
} from '../support/deploy-manifests.js';

const readme = readRepoFile('deploy/README.md');
const objects = renderKustomization();
const container = only<V1Deployment>(objects, 'Deployment').spec?.template.spec?.containers[0];

/** DESIGN.md, "Observability". */
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
  it('documents exactly the settings of DESIGN.md, with the values the Deployment sets', () => {
    const rows = tableRows(section('Configuration'));
    expect([...rows.keys()]).toEqual([...DESIGN_SETTINGS]);
    for (const variable of container?.env ?? []) {
      if (variable.value)
        expect(rows.get(variable.name)?.[0], variable.name).toContain(`\`${variable.value}\``);
    }
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

  it('names every DESIGN.md metric, and its alerts use no other', () => {
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
