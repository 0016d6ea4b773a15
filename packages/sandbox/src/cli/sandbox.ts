import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../../../src/api/duration.js';
import { storageVersion } from '../crd/crd.js';
import { startKubeStandIn } from '../kube-api/index.js';
import { startOpenAIStandIn } from '../openai-api/index.js';

export const SANDBOX_HELP = `Usage: checkpoint-share sandbox [flags]

Starts the local stand-ins for the Kubernetes API (CheckpointShares, events, leases,
namespaces) and OpenAI's admin API (checkpoint permissions and the audit log of their
changes), writes a kubeconfig for the
Kubernetes one, prints one JSON line with where everything is, and runs until SIGTERM/SIGINT.

  --kube-only              start only the Kubernetes API stand-in
  --openai-only            start only the OpenAI admin API stand-in
  --kube-port N            port of the Kubernetes stand-in (default: any free port)
  --openai-port N          port of the OpenAI stand-in (default: any free port)
  --kubeconfig PATH        where to write the kubeconfig (default: a fresh temp file)
  --admin-key KEY          the admin key the OpenAI stand-in accepts (default: generated)
  --checkpoint ID=OWNER    register a checkpoint and its owning project (repeatable)
  --audit-log on|off       whether the organisation has audit logging (default: on); off, the
                           audit log endpoint answers 403 and no change is recorded
  --audit-log-lag DURATION how long after a change its audit log event becomes visible,
                           e.g. 500ms, 2s, 1m (default: 0s)

Every checkpoint in examples/ is registered with owner proj_owner unless --checkpoint is given.
`;

/** The checkpoints the manifests in examples/ name, so the demo and a laptop trial work at once. */
export const EXAMPLE_CHECKPOINTS = [
  'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd',
  'ft:gpt-4o-2024-08-06:acme:support-bot:Q2mX8kLp',
  'ft:gpt-4o-mini-2024-07-18:acme:fraud:Zt5Hn2Wc:ckpt-step-2000',
  'ft-LegacyClassifier0042',
].map((id) => ({ id, owner: 'proj_owner' }));

export async function sandbox(argv: readonly string[]): Promise<number> {
  let values: ReturnType<typeof parseSandboxArgs>;
  try {
    values = parseSandboxArgs(argv);
  } catch (error: unknown) {
    process.stderr.write(
      `checkpoint-share sandbox: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  }
  const kubePort = parsePort(values['kube-port'], 'kube-port');
  const openaiPort = parsePort(values['openai-port'], 'openai-port');
  for (const port of [kubePort, openaiPort]) {
    if (typeof port === 'string') {
      process.stderr.write(`checkpoint-share sandbox: ${port}\n`);
      return 2;
    }
  }
  if (values['kube-only'] && values['openai-only']) {
    process.stderr.write('checkpoint-share sandbox: --kube-only and --openai-only exclude each other\n');
    return 2;
  }
  const parsed = values.checkpoint?.map(parseCheckpoint);
  const refused = parsed?.find((c) => typeof c === 'string');
  if (refused !== undefined) {
    process.stderr.write(`checkpoint-share sandbox: ${refused}\n`);
    return 2;
  }
  const checkpoints = (parsed as { id: string; owner: string }[] | undefined) ?? EXAMPLE_CHECKPOINTS;
  const auditLog = parseAuditLogFlags(values['audit-log'], values['audit-log-lag']);
  if (typeof auditLog === 'string') {
    process.stderr.write(`checkpoint-share sandbox: ${auditLog}\n`);
    return 2;
  }

  const started: Record<string, string> = {};
  const closers: (() => Promise<void>)[] = [];
  if (!values['openai-only']) {
    const kube = await startKubeStandIn({ port: Number(kubePort) });
    const dir = join(tmpdir(), `checkpoint-share-sandbox-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const kubeconfig = values.kubeconfig ?? join(dir, 'kubeconfig');
    await kube.writeKubeconfig(kubeconfig);
    started.kubernetes = kube.url;
    started.kubeconfig = kubeconfig;
    closers.push(() => kube.close());
  }
  if (!values['kube-only']) {
    const openai = await startOpenAIStandIn({
      port: Number(openaiPort),
      checkpoints,
      auditLog,
      ...(values['admin-key'] ? { adminKey: values['admin-key'] } : {}),
    });
    started.openaiBaseUrl = openai.baseURL;
    started.openaiAdminKey = openai.adminKey;
    started.openaiControl = `${openai.origin}/_sandbox/`;
    closers.push(() => openai.close());
  }
  process.stdout.write(`${JSON.stringify(started)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await Promise.all(closers.map((close) => close()));
  return 0;
}

/** A port number, or the message saying why the flag's value is not one. */
function parsePort(raw: string | undefined, flag: string): number | string {
  if (raw === undefined) return 0;
  return /^\d+$/.test(raw) && Number(raw) < 65536
    ? Number(raw)
    : `--${flag} must be a port number, got ${JSON.stringify(raw)}`;
}

/** The OpenAI stand-in's audit log settings, or the message saying which flag is wrong. */
function parseAuditLogFlags(
  enabled: string | undefined,
  lag: string | undefined,
): { enabled: boolean; lagMs: number } | string {
  if (enabled !== undefined && enabled !== 'on' && enabled !== 'off') {
    return `--audit-log must be on or off, got ${JSON.stringify(enabled)}`;
  }
  const lagMs = lag === undefined ? 0 : parseDuration(lag);
  if (lagMs === undefined) {
    return `--audit-log-lag must be a duration such as 500ms, 2s or 1m, got ${JSON.stringify(lag)}`;
  }
  return { enabled: enabled !== 'off', lagMs };
}

/** ID=OWNER with both as the CRD accepts them, or the message saying what is wrong. */
function parseCheckpoint(pair: string): { id: string; owner: string } | string {
  const separator = pair.lastIndexOf('=');
  if (separator < 0) return `--checkpoint must be ID=OWNER, got ${JSON.stringify(pair)}`;
  const id = pair.slice(0, separator);
  const owner = pair.slice(separator + 1);
  const spec = storageVersion().schema.openAPIV3Schema.properties?.spec?.properties;
  const idPattern = new RegExp(spec?.checkpoint?.pattern ?? '');
  const ownerPattern = new RegExp(spec?.projectIds?.items?.pattern ?? '');
  if (!idPattern.test(id)) {
    return `--checkpoint ${JSON.stringify(id)} is not a checkpoint id the CRD accepts (${idPattern.source})`;
  }
  if (!ownerPattern.test(owner)) {
    return `--checkpoint owner ${JSON.stringify(owner)} is not a project id (${ownerPattern.source})`;
  }
  return { id, owner };
}

function parseSandboxArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      'kube-only': { type: 'boolean' },
      'openai-only': { type: 'boolean' },
      'kube-port': { type: 'string' },
      'openai-port': { type: 'string' },
      kubeconfig: { type: 'string' },
      'admin-key': { type: 'string' },
      checkpoint: { type: 'string', multiple: true },
      'audit-log': { type: 'string' },
      'audit-log-lag': { type: 'string' },
    },
  }).values;
}
