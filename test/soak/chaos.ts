import type { KubeStandIn } from '@checkpoint-share/sandbox/kube-api';
import type { FaultSpec, OpenAIStandIn } from '@checkpoint-share/sandbox/openai-api';
import type { Random } from './random.js';

/** Faults injected so far, for the summary. */
export interface ChaosCounts {
  openai: Record<string, number>;
  watchDrops: number;
  droppedWatches: number;
  historyExpiries: number;
}

const OPERATIONS = [undefined, 'list', 'grant', 'revoke'] as const;

/**
 * One OpenAI fault of each kind the stand-in has, on any operation: 429 with retry-after (and
 * sometimes retry-after-ms), 500, 502, reset, a held request, a truncated body. Failures after
 * the create was carried out are the ones that tempt a client to grant twice.
 */
export function randomOpenAIFault(random: Random): FaultSpec {
  const operation = random.pick(OPERATIONS);
  const on = operation === undefined ? {} : { operation };
  const afterCommit = random.chance(0.5);
  switch (random.int(0, 5)) {
    case 0:
      return {
        kind: 'rate-limit',
        retryAfterSeconds: random.int(1, 3),
        ...(random.chance(0.3) ? { retryAfterMs: random.int(200, 1500) } : {}),
        ...on,
      };
    case 1:
      return { kind: 'server-error', afterCommit, ...on };
    case 2:
      return { kind: 'bad-gateway', afterCommit, ...on };
    case 3:
      return { kind: 'reset', afterCommit, ...on };
    case 4:
      return { kind: 'latency', latencyMs: random.int(500, 3000), ...on };
    default:
      return { kind: 'malformed', afterCommit, ...on };
  }
}

export class Chaos {
  readonly counts: ChaosCounts = { openai: {}, watchDrops: 0, droppedWatches: 0, historyExpiries: 0 };

  constructor(
    private readonly random: Random,
    private readonly openai: OpenAIStandIn,
    private readonly kube: KubeStandIn,
  ) {}

  injectOpenAIFault(): void {
    const fault = randomOpenAIFault(this.random);
    this.openai.faults.inject(fault);
    const label = fault.afterCommit ? `${fault.kind} after commit` : fault.kind;
    this.counts.openai[label] = (this.counts.openai[label] ?? 0) + 1;
  }

  /**
   * Cuts every open watch as a lost connection would; every other time the history is also
   * forgotten first, so the resumed watch gets 410 Expired and the informer must relist.
   */
  dropWatches(): void {
    if (this.counts.watchDrops % 2 === 1) {
      this.kube.faults.expireHistory();
      this.counts.historyExpiries += 1;
    }
    this.counts.droppedWatches += this.kube.faults.dropWatches();
    this.counts.watchDrops += 1;
  }

  /** Stops injecting: clears what is still queued on both stand-ins. */
  clear(): void {
    this.openai.faults.clear();
    this.kube.faults.clear();
  }
}
