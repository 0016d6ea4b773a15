import type { DriftFigures, ModeFigures } from './drift-bench.js';
import { COUNTED } from './openai-api.js';

const number = (n: number) => n.toLocaleString('en-US');
const seconds = (s: number | null) => (s === null ? 'not repaired' : `${s.toFixed(1)} s`);
const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;

function rows(lines: string[][]): string {
  const widths =
    lines[0]?.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? '').length))) ?? [];
  return lines
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

const worst = (mode: ModeFigures) =>
  mode.repairs.some((r) => r.repairSeconds === null)
    ? null
    : Math.max(...mode.repairs.map((r) => r.repairSeconds ?? 0));

/** The figures as a table: both modes side by side, then each hand-made change. */
export function reportText(f: DriftFigures): string {
  const { follower, listing } = f;
  const ratio = (a: number, b: number) => (a === 0 ? '' : `${(b / a).toFixed(1)}x`);
  const header = `Drift benchmark: ${number(f.checkpoints)} checkpoints, ${number(f.shares)} shares, ${f.measuredHours === 1 ? 'one simulated hour' : `${f.measuredHours} simulated hours`} of steady state, audit-log lag ${f.lagSeconds} s, ${f.latencyMs} ms per request, OPENAI_MAX_RPS ${f.settings.openaiMaxRps}`;
  const calls = rows([
    [
      'OpenAI calls in the hour',
      'follower (AUDIT_LOG=auto)',
      'listing (AUDIT_LOG=off)',
      'listing / follower',
    ],
    ...COUNTED.map((op) => [op, number(follower.calls[op]), number(listing.calls[op]), '']),
    ['total', number(follower.totalCalls), number(listing.totalCalls), `${f.ratio}x`],
    [
      'Kubernetes writes',
      number(sum(follower.kubeWrites)),
      number(sum(listing.kubeWrites)),
      ratio(sum(follower.kubeWrites), sum(listing.kubeWrites)),
    ],
    ['converged in (simulated)', `${follower.convergeSeconds} s`, `${listing.convergeSeconds} s`, ''],
    ['calls to converge', converging(follower), converging(listing), ''],
    ['wall time of the run', `${follower.wallSeconds} s`, `${listing.wallSeconds} s`, ''],
  ]);
  const repairs = rows([
    ['hand-made change', 'at', 'repaired after (follower)', 'repaired after (listing)'],
    ...follower.repairs.map((r, i) => [
      r.what,
      clock(r.atSeconds),
      seconds(r.repairSeconds),
      seconds(listing.repairs[i]?.repairSeconds ?? null),
    ]),
    ['worst', '', seconds(worst(follower)), seconds(worst(listing))],
  ]);
  const bound = `Follower bound: poll ${f.settings.auditLogPollIntervalMs / 1000} s + lag ${f.lagSeconds} s + one pass.`;
  const exact = [follower, listing]
    .map(
      (m) =>
        `${m.mode}: ${m.mismatches.length === 0 ? 'final state exact' : `${m.mismatches.length} checkpoints wrong`}`,
    )
    .join('; ');
  const problems = [follower, listing]
    .filter((m) => Object.keys(m.problems).length > 0)
    .map((m) => `${m.mode} logged: ${JSON.stringify(m.problems)}`);
  return [header, '', calls, '', repairs, bound, exact, ...problems].join('\n');
}

/** Not counted in the hour: what converging from nothing granted cost, audit-log pages apart. */
function converging(mode: ModeFigures): string {
  const total = sum(mode.convergeCalls);
  const log = mode.convergeCalls.audit_log;
  return log === 0 ? number(total) : `${number(total)} (audit_log ${number(log)})`;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** One line for scripts: the figures without the per-change checkpoint ids. */
export function jsonLine(f: DriftFigures): string {
  const mode = (m: ModeFigures) => ({
    calls: m.calls,
    totalCalls: m.totalCalls,
    kubeWrites: sum(m.kubeWrites),
    convergeSeconds: m.convergeSeconds,
    convergeCalls: m.convergeCalls,
    repairSeconds: m.repairs.map((r) => r.repairSeconds),
    mismatches: m.mismatches.length,
    wallSeconds: m.wallSeconds,
  });
  return JSON.stringify({
    bench: 'drift',
    checkpoints: f.checkpoints,
    shares: f.shares,
    seed: f.seed,
    lagSeconds: f.lagSeconds,
    latencyMs: f.latencyMs,
    measuredHours: f.measuredHours,
    follower: mode(f.follower),
    listing: mode(f.listing),
    ratio: f.ratio,
  });
}
