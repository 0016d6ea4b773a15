/**
 * Every API call the stand-in answered, in order, with the verb and resource the API server's
 * authorizer would see, so tests can assert the calls a client made and compare them with RBAC.
 */
export interface RequestRecord {
  /** When the request arrived (ISO 8601). */
  time: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** HTTP status; for a watch, the status of the response head (the stream may run on). */
  status: number;
  userAgent: string;
  /** get, list, watch, create, update, patch, delete, deletecollection; or the lowercased method. */
  verb: string;
  isResourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  namespace?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  contentType?: string;
}

export class RequestLog {
  private records: RequestRecord[] = [];

  constructor(private readonly capacity: number) {}

  add(record: RequestRecord): void {
    this.records.push(record);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
  }

  all(): RequestRecord[] {
    return this.records.map((r) => ({ ...r, query: { ...r.query } }));
  }

  clear(): void {
    this.records = [];
  }
}
