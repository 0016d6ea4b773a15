import { GROUP, PLURAL, VERSION } from '../api/constants.js';
import type { CheckpointShare } from '../api/types.js';
import { ConfigError, checkBaseUrl, SETTINGS } from '../config.js';
import { loadKubeConfig, makeClients } from '../kube/client.js';
import { readManifests } from '../manifests/documents.js';
import { shareOf } from '../manifests/shares.js';
import { createLogger } from '../observability/logger.js';
import { RateLimiter } from '../openai/rate-limiter.js';
import { SdkPermissionsApi } from '../openai/sdk-permissions.js';
import { type CheckpointPreview, preview } from '../reconcile/preview.js';
import { checkpointsOf, homeOf, keyOf } from '../reconcile/share-facts.js';
import { parseManifestArgs } from './manifest-args.js';

export const PLAN_HELP = `Usage: checkpoint-share plan -f PATH [-f PATH]... [flags]

Prints, per checkpoint, what applying the CheckpointShares in the manifests would do against the
permissions OpenAI holds now: grants, adoptions, revocations (including what Authoritative
would revoke) and what is left alone, decided by the controller's own planner. It only lists
(read-only); nothing is granted or revoked.

Exit status: 0 nothing would be revoked, 2 something would be revoked (ask for a second
reviewer), 1 the plan could not be made.

Flags:
  -f, --filename PATH     a file, a folder (its .yaml, .yml and .json files) or - for stdin; repeatable
  -R, --recursive         also the folders' subfolders, as kubectl -R
  -n, --namespace NS      namespace of manifests that name none (default: default)
      --cluster           also read the live CheckpointShares (KUBECONFIG), with their ownership
                          records: shares not in the manifests count as they are, and a manifest
                          replaces the spec of the live object of the same name
  -o, --output FORMAT     table (default) or json

Environment: ${SETTINGS.openaiAdminKey.env} (required; only list calls are made),
${SETTINGS.openaiBaseUrl.env} (default ${SETTINGS.openaiBaseUrl.default}), ${SETTINGS.openaiMaxRps.env} (default ${SETTINGS.openaiMaxRps.default}),
${SETTINGS.kubeconfig.env} (with --cluster).
`;

/** Exit status when the plan revokes something, so CI can ask for a second reviewer. */
export const REVOKES = 2;

interface PlanOptions {
  files: string[];
  recursive: boolean;
  namespace: string;
  cluster: boolean;
  output: 'table' | 'json';
}

function options(argv: readonly string[]): PlanOptions {
  const args = parseManifestArgs(argv, { own: { cluster: { type: 'boolean' } }, outputs: ['table', 'json'] });
  return { ...args, cluster: args.values.cluster === true, output: args.output as PlanOptions['output'] };
}

export async function plan(argv: readonly string[]): Promise<number> {
  let opts: PlanOptions;
  let adminKey: string;
  let baseURL: string;
  let rps: number;
  try {
    opts = options(argv);
    adminKey = process.env[SETTINGS.openaiAdminKey.env]?.trim() ?? '';
    if (adminKey === '')
      throw new ConfigError(`${SETTINGS.openaiAdminKey.env} is required (only list calls are made)`);
    baseURL = process.env[SETTINGS.openaiBaseUrl.env]?.trim() || SETTINGS.openaiBaseUrl.default;
    checkBaseUrl(baseURL, SETTINGS.openaiBaseUrl.env);
    rps = Number(process.env[SETTINGS.openaiMaxRps.env]?.trim() || SETTINGS.openaiMaxRps.default);
    if (!(rps > 0)) throw new ConfigError(`${SETTINGS.openaiMaxRps.env} must be a positive number`);
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`checkpoint-share plan: ${error.message}\n`);
    return 1;
  }

  const { documents, problems } = readManifests(opts.files, { recursive: opts.recursive });
  for (const p of problems) process.stderr.write(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}\n`);
  if (problems.length > 0) return 1;
  const planned = documents.flatMap((d) => shareOf(d, opts.namespace) ?? []);

  let shares: CheckpointShare[];
  try {
    shares = opts.cluster ? merge(planned, await liveShares()) : planned;
  } catch (error: unknown) {
    process.stderr.write(`checkpoint-share plan: cannot read the live CheckpointShares: ${message(error)}\n`);
    return 1;
  }
  const touched = [...new Set(planned.flatMap((s) => checkpointsOf(withLiveHome(s, shares))))].sort();
  const permissions = new SdkPermissionsApi({
    baseURL,
    adminKey,
    rateLimiter: new RateLimiter({ requestsPerSecond: rps }),
    logger: createLogger({ level: 'silent' }),
  });
  const previews: CheckpointPreview[] = [];
  for (const checkpoint of touched) {
    let observed: Awaited<ReturnType<SdkPermissionsApi['list']>>;
    try {
      observed = await permissions.list(checkpoint);
    } catch (error: unknown) {
      process.stderr.write(
        `checkpoint-share plan: cannot list the permissions of ${checkpoint}: ${message(error)}\n`,
      );
      return 1;
    }
    const here = shares.filter((s) => s.spec.checkpoint === checkpoint || homeOf(s) === checkpoint);
    previews.push(
      preview({
        checkpoint,
        shares: here,
        listed: observed.exists ? observed.permissions : undefined,
        retryFailed: true,
      }),
    );
  }
  process.stdout.write(
    opts.output === 'json' ? `${JSON.stringify(report(previews), null, 2)}\n` : table(previews),
  );
  return previews.some((p) => p.revoke.length > 0) ? REVOKES : 0;
}

/** Every CheckpointShare in the cluster, with its status (its ownership records). */
async function liveShares(): Promise<CheckpointShare[]> {
  const kubeConfig = loadKubeConfig(process.env[SETTINGS.kubeconfig.env]);
  const { customObjects } = makeClients(kubeConfig);
  const list = (await customObjects.listClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
  })) as {
    items?: CheckpointShare[];
  };
  return list.items ?? [];
}

/**
 * The cluster as it would be after applying the manifests: a manifest's spec replaces the live
 * object's of the same name, which keeps its status (records) and finalizer; other live
 * objects stay as they are (deleting them is a separate decision, e.g. kubectl apply --prune).
 */
function merge(planned: readonly CheckpointShare[], live: readonly CheckpointShare[]): CheckpointShare[] {
  const byKey = new Map(live.map((s) => [keyOf(s), s]));
  for (const share of planned) {
    const existing = byKey.get(keyOf(share));
    byKey.set(
      keyOf(share),
      existing
        ? { ...existing, metadata: { ...existing.metadata, ...share.metadata }, spec: share.spec }
        : share,
    );
  }
  return [...byKey.values()];
}

/** The share as merged (with its live home), so a move shows on the checkpoint it leaves too. */
function withLiveHome(share: CheckpointShare, merged: readonly CheckpointShare[]): CheckpointShare {
  return merged.find((s) => keyOf(s) === keyOf(share)) ?? share;
}

function report(previews: readonly CheckpointPreview[]) {
  const count = (pick: (p: CheckpointPreview) => readonly unknown[]) =>
    previews.reduce((n, p) => n + pick(p).length, 0);
  return {
    checkpoints: previews,
    summary: {
      checkpoints: previews.length,
      grant: count((p) => p.grant),
      adopt: count((p) => p.adopt),
      revoke: count((p) => p.revoke),
      keep: count((p) => p.keep),
      missingCheckpoints: previews.filter((p) => !p.exists).map((p) => p.checkpoint),
    },
  };
}

/** Terraform's plan, for this resource: +, ~, -, = per project, then one summary line. */
function table(previews: readonly CheckpointPreview[]): string {
  const out: string[] = [];
  for (const p of previews) {
    out.push(p.checkpoint);
    if (!p.exists) out.push('  ! checkpoint not found: its shares would stall with CheckpointNotFound');
    const rows = [
      ...p.grant.map((l) => ['+ grant', l.projectId, `for ${l.objects.join(', ')}`]),
      ...p.adopt.map((l) => [
        '~ adopt',
        l.projectId,
        `existing permission, recorded by ${l.objects.join(', ')}`,
      ]),
      ...p.revoke.map((l) => [
        '- revoke',
        l.projectId,
        `${l.permissionId}: ${l.why}${l.objects.length > 0 ? ` (${l.objects.join(', ')})` : ''}`,
      ]),
      ...p.keep.map((l) => [
        '= keep',
        l.projectId,
        `${l.why}${l.objects.length > 0 ? ` (${l.objects.join(', ')})` : ''}`,
      ]),
    ];
    const width = Math.max(0, ...rows.map((r) => (r[1] ?? '').length));
    for (const [action, project, why] of rows)
      out.push(`  ${(action ?? '').padEnd(9)} ${(project ?? '').padEnd(width)}  ${why}`);
    if (rows.length === 0 && p.exists) out.push('  (no permissions, nothing to do)');
    out.push('');
  }
  const s = report(previews).summary;
  out.push(
    `Plan: ${s.grant} to grant, ${s.adopt} to adopt, ${s.revoke} to revoke, ${s.keep} left alone, on ${s.checkpoints} checkpoint${s.checkpoints === 1 ? '' : 's'}.`,
  );
  return `${out.join('\n')}\n`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
