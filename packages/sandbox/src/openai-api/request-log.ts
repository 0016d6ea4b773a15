import type { FaultKind } from './faults.js';
import type { Operation } from './operation.js';

/** One request to the admin API routes (control requests under /_sandbox are not logged). */
export interface RequestRecord {
  method: string;
  /** The path as sent, still URL-encoded. */
  path: string;
  query: Record<string, string>;
  /** The status sent, or null when the connection was reset without an answer. */
  status: number | null;
  /** Undefined for a route the admin API does not have. */
  operation?: Operation;
  /** Decoded checkpoint, when the path names one. */
  checkpoint?: string;
  /** The injected fault that shaped the answer, if any. */
  fault?: FaultKind;
  requestId: string;
  /** When the request arrived, in ms since the epoch (from the stand-in's clock). */
  time: number;
}

export type OperationCounts = Record<Operation, number>;

function emptyCounts(): OperationCounts {
  return { list: 0, grant: 0, revoke: 0, audit_log: 0 };
}

/** Every admin API request in arrival order, and how many of each operation, faulted or not. */
export class RequestLog {
  #records: RequestRecord[] = [];
  #counts: OperationCounts = emptyCounts();

  /** Counts a request as it arrives, so a request still in flight is already counted. */
  arrived(operation: Operation | undefined): void {
    if (operation) this.#counts[operation] += 1;
  }

  record(entry: RequestRecord): void {
    this.#records.push(entry);
  }

  records(): RequestRecord[] {
    return this.#records.map((r) => ({ ...r, query: { ...r.query } }));
  }

  counts(): OperationCounts {
    return { ...this.#counts };
  }

  clear(): void {
    this.#records = [];
    this.#counts = emptyCounts();
  }
}
