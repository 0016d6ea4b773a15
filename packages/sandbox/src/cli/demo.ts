import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { CheckpointShare } from '../crd/checkpoint-share.js';
import { GROUP, PLURAL, VERSION } from '../crd/identity.js';
import { startKubeStandIn } from '../kube-api/index.js';
import { startOpenAIStandIn } from '../openai-api/index.js';
import { repoPath } from '../repo-path.js';
import { EXAMPLE_CHECKPOINTS } from './sandbox.js';

export const DEMO_HELP = `Usage: checkpoint-share demo

Starts the Kubernetes and OpenAI stand-ins, runs the operator against them, applies
examples/, and shows what happens: each share's granted/desired counts and conditions, and
every call made to OpenAI. Then it edits one share, deletes another, revokes a permission by
hand to show drift repair, and exits 0. Needs no cluster, key or network.
`;

const EXAMPLES = `${repoPath('examples')}/`;
// The operator's build in the repository this package lives in (`npm run build`).
const MAIN = repoPath('dist', 'main.js');
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const STEP_TIMEOUT_MS = 60_000;

let stdoutGone = false;
const say = (line = '') => {
  if (!stdoutGone) process.stdout.write(`${line}\n`);
};

export async function demo(argv: readonly string[]): Promise<number> {
  try {
    parseArgs({ args: [...argv], strict: true, options: {} });
  } catch (error: unknown) {
    process.stderr.write(
      `checkpoint-share demo: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  }
  // A signal, or a reader that went away (demo | head), ends the demo early; the finally below
  // then still stops the operator and removes the temp dir, whatever way the demo ends.
  const interrupted = new AbortController();
  let interruptedCode = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interruptedCode = 128 + (constants.signals[signal] ?? 0);
    interrupted.abort();
  };
  const onStdoutError = () => {
    stdoutGone = true;
    interruptedCode = 128 + constants.signals.SIGPIPE;
    interrupted.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  process.stdout.on('error', onStdoutError);
  const dir = mkdtempSync(join(tmpdir(), 'checkpoint-share-demo-'));
  const closers: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  try {
    return await showOperator(dir, closers, interrupted.signal, () => interruptedCode);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    for (const signal of signals) process.off(signal, onSignal);
    process.stdout.off('error', onStdoutError);
  }
}

async function showOperator(
  dir: string,
  closers: (() => Promise<unknown>)[],
  interrupted: AbortSignal,
  interruptedCode: () => number,
): Promise<number> {
  const kube = await startKubeStandIn({ port: 0 });
  closers.push(() => kube.close());
  const openai = await startOpenAIStandIn({ checkpoints: EXAMPLE_CHECKPOINTS });
  closers.push(() => openai.close());
  const kubeconfig = join(dir, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfig);
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  const api = config.makeApiClient(CustomObjectsApi);

  say('checkpoint-share demo: the operator against local stand-ins of Kubernetes and OpenAI');
  say(`  Kubernetes API stand-in: ${kube.url}`);
  say(`  OpenAI admin API stand-in: ${openai.baseURL}`);
  say('  Every OpenAI call the operator makes is shown as "openai>", what each reconcile changed as');
  say('  "operator>", and each share\'s granted/desired count and Ready condition as "share>".');
  say('  The OpenAI stand-in starts with one permission made "by hand": proj_legacyapps01 on');
  say('  ft-LegacyClassifier0042, which the suspended Orphan example must leave alone.');
  say();

  // The legacy example's checkpoint has a hand-made grant: the operator should leave it alone
  // (the share is suspended) and report the drift.
  openai.store.addPermission('ft-LegacyClassifier0042', 'proj_legacyapps01');

  const operator = spawn(process.execPath, [MAIN, 'run'], {
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_ADMIN_KEY: openai.adminKey,
      // The demo shows drift put right within seconds: the audit log is read every 2s (30s in a
      // real deployment), and the stand-in's log shows a change at once.
      AUDIT_LOG_POLL_INTERVAL: '2s',
      RESYNC_INTERVAL: '3s',
      MIN_RESYNC_INTERVAL: '3s',
      LEADER_ELECTION: 'false',
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const operatorExited = new Promise((resolve) => operator.once('exit', resolve));
  closers.push(async () => {
    if (operator.exitCode === null && operator.signalCode === null) operator.kill('SIGTERM');
    await operatorExited;
  });
  // The operator logs one JSON line per reconcile; the demo retells the ones that changed something.
  let pending = '';
  // Held until the next tick, so each pass reads in order: its OpenAI calls, then its outcome.
  const summaries: string[] = [];
  operator.stdout.setEncoding('utf8');
  operator.stdout.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const summary = describeReconcile(line);
      if (summary) summaries.push(summary);
    }
  });

  let shownCalls = 0;
  const shown = new Map<string, string>();
  const watcher = setInterval(() => {
    const calls = openai.requests().filter((r) => r.operation !== undefined);
    for (const call of calls.slice(shownCalls)) {
      say(
        `  openai>   ${call.method.padEnd(6)} ${(call.operation ?? '').padEnd(6)} ${call.checkpoint ?? ''} -> ${call.status ?? 'reset'}`,
      );
    }
    shownCalls = calls.length;
    for (const summary of summaries.splice(0)) say(summary);
    // Only rows that changed are printed, so the output reads as a log of what happened.
    void list(api).then(
      (shares) => {
        const present = new Set<string>();
        for (const share of shares) {
          const key = `${share.metadata.namespace}/${share.metadata.name}`;
          const row = render(share);
          present.add(key);
          if (shown.get(key) !== row) say(row);
          shown.set(key, row);
        }
        for (const key of shown.keys()) {
          if (present.has(key)) continue;
          say(`  share> ${key.padEnd(42)} deleted`);
          shown.delete(key);
        }
      },
      () => undefined,
    );
  }, 200);

  const step = async (
    title: string,
    action: () => Promise<void>,
    until: (shares: CheckpointShare[]) => boolean,
  ) => {
    interrupted.throwIfAborted();
    say();
    say(`== ${title}`);
    await action();
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!until(await list(api))) {
      if (Date.now() > deadline)
        throw new Error(`the operator did not finish "${title}" within ${STEP_TIMEOUT_MS / 1000}s`);
      await sleep(100, undefined, { signal: interrupted });
    }
    await sleep(400, undefined, { signal: interrupted });
  };

  let code = 0;
  try {
    const manifests = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .flatMap((f) =>
        parseAllDocuments(readFileSync(join(EXAMPLES, f), 'utf8')).map((d) => d.toJS() as CheckpointShare),
      );

    await step(
      `1. Apply examples/ (${manifests.length} CheckpointShares)`,
      async () => {
        for (const manifest of manifests) {
          await api.createNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
            namespace: manifest.metadata.namespace,
            body: manifest,
          });
        }
      },
      (shares) => shares.length === manifests.length && shares.every(settled),
    );

    await step(
      '2. Edit weather-to-analytics: add proj_forecasting01',
      async () => {
        await api.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
            namespace: 'ml-platform',
            name: 'weather-to-analytics',
            body: { spec: { projectIds: ['proj_analytics01', 'proj_forecasting01'] } },
          },
          MERGE_PATCH,
        );
      },
      (shares) =>
        shares.some(
          (s) => s.metadata.name === 'weather-to-analytics' && s.status?.grantedCount === 2 && settled(s),
        ),
    );

    await step(
      '3. Delete support-bot-for-search: proj_search01 is revoked, proj_dashboards01 stays (support-bot-for-bi wants it)',
      async () => {
        await api.deleteNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace: 'ml-platform',
          name: 'support-bot-for-search',
        });
      },
      (shares) => !shares.some((s) => s.metadata.name === 'support-bot-for-search'),
    );

    const weather = 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd';
    await step(
      '4. Drift: someone revokes proj_analytics01 by hand; the audit log shows it at the next read (2s) and it is granted again',
      async () => {
        for (const permission of openai.store
          .permissions(weather)
          .filter((p) => p.projectId === 'proj_analytics01')) {
          openai.store.removePermission(weather, permission.id);
        }
      },
      () => openai.store.permissions(weather).some((p) => p.projectId === 'proj_analytics01'),
    );

    say();
    say('== Final permissions in the OpenAI stand-in');
    for (const { id } of EXAMPLE_CHECKPOINTS) {
      say(
        `  ${id}: ${
          openai.store
            .permissions(id)
            .map((p) => p.projectId)
            .sort()
            .join(', ') || '(none)'
        }`,
      );
    }
    say();
    say('Done. Try it yourself: `npm run sandbox`, then run the operator against it (README.md).');
  } catch (error: unknown) {
    if (interrupted.aborted) return interruptedCode();
    say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    code = 1;
  } finally {
    clearInterval(watcher);
  }
  return interrupted.aborted ? interruptedCode() : code;
}

async function list(api: CustomObjectsApi): Promise<CheckpointShare[]> {
  const result = (await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as {
    items: CheckpointShare[];
  };
  return result.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Converged enough for the next step: Ready, or Stalled/suspended waiting on a person. */
function settled(share: CheckpointShare): boolean {
  if (share.status?.observedGeneration !== share.metadata.generation) return false;
  const conditions = share.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const stalled = conditions.find((c) => c.type === 'Stalled');
  return ready?.status === 'True' || stalled?.status === 'True' || ready?.reason === 'Suspended';
}

function render(share: CheckpointShare): string {
  const ready = share.status?.conditions?.find((c) => c.type === 'Ready');
  const current = share.status?.observedGeneration === share.metadata.generation;
  const state = share.metadata.deletionTimestamp
    ? 'Deleting'
    : !ready
      ? 'new'
      : current
        ? `Ready=${ready.status} (${ready.reason})`
        : 'spec changed, reconciling';
  const counts = `${share.status?.grantedCount ?? 0}/${share.status?.desiredCount ?? share.spec.projectIds.length}`;
  const message = current && ready?.message ? `: ${ready.message}` : '';
  return `  share> ${`${share.metadata.namespace}/${share.metadata.name}`.padEnd(42)} granted ${counts.padEnd(5)} ${state}${message}`;
}

/** One line for a reconcile log line that changed something, else undefined. */
function describeReconcile(line: string): string | undefined {
  let entry: {
    msg?: string;
    checkpoint?: string;
    granted?: string[];
    revoked?: string[];
    adopted?: string[];
    calls?: Record<string, number>;
    error?: string;
  };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return undefined;
  }
  if (entry.msg === 'reconcile failed') return `  operator> ${entry.checkpoint}: ${entry.error}`;
  if (entry.msg !== 'reconciled') return undefined;
  const parts = [
    entry.granted?.length ? `granted ${entry.granted.join(', ')}` : '',
    entry.revoked?.length ? `revoked ${entry.revoked.join(', ')}` : '',
    entry.adopted?.length ? `adopted ${entry.adopted.join(', ')}` : '',
  ].filter(Boolean);
  if (parts.length === 0) return undefined;
  return `  operator> ${entry.checkpoint}: ${parts.join('; ')}`;
}
