import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from 'prom-client';

export interface ProbeState {
  /**
   * Why this replica is not ready (one line each, e.g. a scope not synced and why); empty when
   * its caches are synced and it can lead or stand by usefully.
   */
  unready(): string[];
}

export interface ProbeServer {
  port: number;
  close(): Promise<void>;
}

/** Past this event-loop delay the process counts as wedged and /healthz fails. */
const MAX_LOOP_DELAY_MS = 5_000;

/** /healthz, /readyz and /metrics on one port, as Kubernetes probes and Prometheus expect. */
export async function startProbeServer(
  port: number,
  registry: Registry,
  state: ProbeState,
): Promise<ProbeServer> {
  const loop = monitorEventLoopDelay({ resolution: 50 });
  loop.enable();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/healthz') {
      const delayMs = loop.max / 1e6;
      loop.reset();
      return delayMs > MAX_LOOP_DELAY_MS
        ? reply(503, `event loop blocked for ${Math.round(delayMs)}ms\n`)
        : reply(200, 'ok\n');
    }
    if (path === '/readyz') {
      const reasons = state.unready();
      return reasons.length === 0 ? reply(200, 'ok\n') : reply(503, reasons.map((r) => `${r}\n`).join(''));
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (error: unknown) => reply(500, `${error instanceof Error ? error.message : String(error)}\n`),
      );
      return;
    }
    reply(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        loop.disable();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
