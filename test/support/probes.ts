import type { OperatorProcess } from './operator-process.js';
import { type Exposition, parsePrometheusText, sumOf } from './prometheus.js';

export const STARTUP_LOG = 'starting checkpoint-share operator';

/** What the operator's startup line says about the process. */
export interface Startup {
  httpPort: number;
  identity: string;
  version: string;
}

/** Waits for the startup line (with HTTP_PORT=0 it carries the port actually bound). */
export async function startupOf(operator: OperatorProcess, timeoutMs = 30_000): Promise<Startup> {
  const line = await operator.waitForLog('the startup log line', (l) => l.msg === STARTUP_LOG, timeoutMs);
  if (
    typeof line.httpPort !== 'number' ||
    typeof line.identity !== 'string' ||
    typeof line.version !== 'string'
  ) {
    throw new Error(`startup line without httpPort, identity and version: ${JSON.stringify(line)}`);
  }
  return { httpPort: line.httpPort, identity: line.identity, version: line.version };
}

/** GET on the probes/metrics port. */
export async function probe(
  operator: OperatorProcess,
  path: string,
): Promise<{ status: number; body: string; contentType: string }> {
  const { httpPort } = await startupOf(operator);
  const response = await fetch(`http://127.0.0.1:${httpPort}${path}`);
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get('content-type') ?? '',
  };
}

export async function scrape(operator: OperatorProcess): Promise<{ text: string; metrics: Exposition }> {
  const { status, body } = await probe(operator, '/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}: ${body}`);
  return { text: body, metrics: parsePrometheusText(body) };
}

/** HTTP requests this process made to OpenAI, by operation, from its own counter. */
export function openaiCallsIn(metrics: Exposition): {
  list: number;
  grant: number;
  revoke: number;
  audit_log: number;
} {
  const total = (operation: string) => sumOf(metrics, 'checkpointshare_openai_requests_total', { operation });
  return {
    list: total('list'),
    grant: total('grant'),
    revoke: total('revoke'),
    audit_log: total('audit_log'),
  };
}
