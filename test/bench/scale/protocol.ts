import type { ConnectionCounts } from '@checkpoint-share/sandbox/kube-api';
import type { FleetShape } from './fleet.js';
import type { KubeWrites } from './kube-writes.js';

/** How the benchmark and its stand-ins process talk (Node IPC, JSON messages). */

/** Where the stand-ins listen, sent once the fleet is stored. */
export interface Ready {
  type: 'ready';
  kubeconfig: string;
  openaiBaseUrl: string;
  adminKey: string;
  /** ms the stand-ins process spent storing the fleet. */
  seedMs: number;
}

export type Request =
  | { id: number; type: 'poll' }
  | { id: number; type: 'snapshot' }
  | { id: number; type: 'stop' };

/** One OpenAI request as received: arrival (ms since the epoch), operation, status (null: reset). */
export type Arrival = [time: number, operation: string, status: number | null];

export interface Poll {
  convergedAt: number | undefined;
  readyShares: number;
}

export interface Snapshot extends Poll {
  kube: KubeWrites;
  openai: Arrival[];
  /** What still differs from the converged state (empty once converged). */
  problems: string[];
  connections: ConnectionCounts;
  /** The stand-ins process's own CPU (user + system) and RSS. */
  cpuSeconds: number;
  rssBytes: number;
}

export interface Reply {
  id: number;
  body: Poll | Snapshot | Record<string, never>;
}

/** Command-line arguments of the stand-ins process. */
export function standInArgs(shape: FleetShape, dir: string): string[] {
  return [
    '--shares',
    String(shape.shares),
    '--checkpoints',
    String(shape.checkpoints),
    '--seed',
    String(shape.seed),
    '--dir',
    dir,
  ];
}

export function parseStandInArgs(argv: readonly string[]): FleetShape & { dir: string } {
  const value = (flag: string) => {
    const at = argv.indexOf(flag);
    const found = at < 0 ? undefined : argv[at + 1];
    if (found === undefined) throw new Error(`stand-ins process: ${flag} is required`);
    return found;
  };
  return {
    shares: Number(value('--shares')),
    checkpoints: Number(value('--checkpoints')),
    seed: Number(value('--seed')),
    dir: value('--dir'),
  };
}
