import type { ScaleFigures } from './figures.js';

const TARGETS = {
  peakRssMiB: 200,
  settledRssMiB: 150,
  convergeOverFloor: 1.15,
  callsOverFloor: 1.02,
  writesPerShare: 3,
  idleCpuSeconds: 1,
} as const;

const listed = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/** One Markdown table of the run against the targets, then the details, then JSON. */
export function reportText(f: ScaleFigures): string {
  const mark = (ok: boolean) => (ok ? 'yes' : 'NO');
  const rows: [string, string, string, string][] = [
    ['converged (all Ready, exact permissions)', String(f.converged), 'true', mark(f.converged)],
    [
      'time to converge',
      f.convergeSeconds === undefined ? '-' : `${f.convergeSeconds} s (floor ${f.floor.seconds} s)`,
      '',
      '',
    ],
    [
      'converge / floor',
      String(f.convergeOverFloor ?? '-'),
      `< ${TARGETS.convergeOverFloor}`,
      mark((f.convergeOverFloor ?? Number.POSITIVE_INFINITY) < TARGETS.convergeOverFloor),
    ],
    [
      'OpenAI calls / floor',
      `${f.openai.overFloor} (${f.openai.total} / ${f.floor.calls})`,
      `< ${TARGETS.callsOverFloor}`,
      mark(f.openai.overFloor < TARGETS.callsOverFloor),
    ],
    [
      'peak requests started in 1 s',
      String(f.openai.peakInOneSecond),
      `<= ${f.settings.openaiMaxRps}`,
      mark(f.openai.peakInOneSecond <= f.settings.openaiMaxRps),
    ],
    [
      'Kubernetes writes per share',
      String(f.kube.writesPerShare),
      `<= ${TARGETS.writesPerShare}`,
      mark(f.kube.writesPerShare <= TARGETS.writesPerShare),
    ],
    [
      'peak RSS',
      `${f.operator.peakRssMiB} MiB`,
      `< ${TARGETS.peakRssMiB} MiB`,
      mark(f.operator.peakRssMiB < TARGETS.peakRssMiB),
    ],
    [
      'settled RSS',
      `${f.operator.settledRssMiB} MiB`,
      `< ${TARGETS.settledRssMiB} MiB`,
      mark(f.operator.settledRssMiB < TARGETS.settledRssMiB),
    ],
    [
      'peak / settled V8 heap used',
      `${f.operator.peakHeapUsedMiB} / ${f.operator.settledHeapUsedMiB} MiB`,
      '',
      '',
    ],
    ['operator CPU to converge', `${f.operator.cpuSecondsToConverge} s`, '', ''],
    [`idle ${f.idle.seconds} s: writes`, String(f.idle.kubeWrites), '0', mark(f.idle.kubeWrites === 0)],
    [
      `idle ${f.idle.seconds} s: CPU`,
      `${f.idle.operatorCpuSeconds} s`,
      `< ${TARGETS.idleCpuSeconds} s`,
      mark(f.idle.operatorCpuSeconds < TARGETS.idleCpuSeconds),
    ],
    [`idle ${f.idle.seconds} s: OpenAI calls`, String(f.idle.openaiCalls), '', ''],
  ];
  return [
    `scale benchmark: ${f.shares} shares over ${f.checkpoints} checkpoints (seed ${f.seed}), OPENAI_MAX_RPS=${f.settings.openaiMaxRps}, RESYNC_INTERVAL=${f.settings.resyncInterval}, NODE_OPTIONS=${JSON.stringify(f.settings.nodeOptions)}`,
    '',
    '| figure | measured | target | met |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `floor: ${f.floor.lists} list pages + ${f.floor.creates} creates (${f.floor.wantedPermissions} permissions wanted) = ${f.floor.calls} calls at ${f.settings.openaiMaxRps}/s`,
    `operator start to leading: ${f.startupSeconds ?? '-'} s`,
    `OpenAI calls until converged: ${listed(f.openai.byOperation)}; not 200: ${listed(f.openai.failed)}`,
    `Kubernetes writes until converged, per share: ${listed(f.kube.writesPerShareByKind)} (Lease writes over the run, not counted: ${f.kube.leaseWrites})`,
    `  what the share writes changed: ${listed(f.kube.shareChanges)}; refused: ${listed(f.kube.refused)}`,
    `  reads: ${listed(f.kube.reads)}`,
    `after converging, until the audit-log follower reads one page a poll: ${f.auditLogCatchUp.seconds} s, OpenAI calls ${listed(f.auditLogCatchUp.openaiCalls)}, operator CPU ${f.auditLogCatchUp.operatorCpuSeconds} s`,
    `idle writes: ${listed(f.idle.kubeWritesByKind)}`,
    `operator heap at the end: ${f.operator.settledHeapTotalMiB} MiB committed, ${f.operator.settledExternalMiB} MiB external`,
    `stand-ins process (not the operator): CPU ${f.standIns.cpuSecondsToConverge} s to converge, ${f.standIns.cpuSecondsIdle} s idle; peak RSS ${f.standIns.peakRssMiB} MiB; fleet stored in ${f.standIns.seedMs} ms`,
    `Kubernetes connections from the operator: ${f.kubeConnections.accepted} accepted, at most ${f.kubeConnections.peakOpen} open at once`,
    ...(f.problems.length > 0 ? ['problems:', ...f.problems.map((p) => `  - ${p}`)] : []),
  ].join('\n');
}
