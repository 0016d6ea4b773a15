/**
 * The benchmark's OpenAI stand-in, on a thread of its own in the stand-ins process. It stamps
 * each request with the time it arrives; on the process's main thread the Kubernetes stand-in's
 * work (patches, watch events for thousands of objects) held those stamps back by up to 44 ms,
 * which moved arrivals together and could put one request too many into a measured second.
 * Started by ./stand-ins-process.ts (through ./run-ts.ts, as a worker), answered over
 * `parentPort` (see ThreadRequest and ThreadReply).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startOpenAIStandIn } from '../../../packages/sandbox/src/openai-api/index.js';
import { permissionProblems } from './convergence.js';
import { buildFleet, type FleetShape, OWNER } from './fleet.js';
import type { Arrival } from './protocol.js';

export type ThreadRequest =
  | { id: number; type: 'problems'; limit: number }
  | { id: number; type: 'arrivals' }
  | { id: number; type: 'close' };

export type ThreadReply =
  | { type: 'ready'; baseURL: string; adminKey: string }
  | { id: number; problems: string[] }
  | { id: number; arrivals: Arrival[] }
  | { id: number; closed: true };

const port = parentPort;
if (!port) throw new Error('openai-thread.ts runs as a worker of the stand-ins process');
const fleet = buildFleet(workerData as FleetShape);
const openai = await startOpenAIStandIn({
  checkpoints: fleet.checkpoints.map((id) => ({ id, owner: OWNER })),
});
const reply = (message: ThreadReply) => port.postMessage(message);

port.on('message', (request: ThreadRequest) => {
  switch (request.type) {
    case 'problems':
      reply({ id: request.id, problems: permissionProblems(fleet, openai, request.limit) });
      return;
    case 'arrivals':
      reply({
        id: request.id,
        arrivals: openai.requests().map((r) => [r.time, r.operation ?? r.path, r.status]),
      });
      return;
    case 'close':
      void openai.close().then(() => {
        reply({ id: request.id, closed: true });
        port.close();
      });
      return;
  }
});
reply({ type: 'ready', baseURL: openai.baseURL, adminKey: openai.adminKey });
// The module runner returns once this settles: the thread serves until it is told to close.
await new Promise<void>((resolve) => port.once('close', () => resolve()));
