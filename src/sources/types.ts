/**
 * What the sources (Prometheus, the nodes) give the engine. The engine only
 * sees these interfaces, so tests inject fakes and the demo its simulator.
 */

/** One HTTP exchange, as the transport reports it. Bodies are always fully consumed (or destroyed). */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Wall time from request start to the last body byte. */
  latencyMs: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Larger bodies fail with HttpError kind 'too_large'. */
  maxBytes: number;
  signal?: AbortSignal;
}

export type HttpErrorKind = 'unreachable' | 'timeout' | 'too_large' | 'aborted';

export class HttpError extends Error {
  constructor(
    readonly kind: HttpErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The network, injected. The real one is undici (src/sources/http.ts). */
export interface HttpTransport {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- Prometheus

export interface PromSample {
  labels: Record<string, string>;
  /** Parsed from Prometheus's string form: "NaN", "+Inf" and "-Inf" included. */
  value: number;
  /** Sample time in ms. */
  timestamp: number;
}

export interface PromQueryResult {
  resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  samples: PromSample[];
  warnings: string[];
}

export interface PromAlert {
  name: string;
  state: 'pending' | 'firing' | 'inactive';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  activeAt?: number;
  value?: number;
}

export type PromErrorKind =
  | 'unreachable' // connection refused, DNS, reset
  | 'timeout' // our timeout or Prometheus's 503 timeout
  | 'bad_data' // 400: the query is wrong
  | 'execution' // 422: the query failed to run
  | 'unavailable' // 503 (e.g. starting up, non-JSON)
  | 'malformed' // not the JSON shape Prometheus answers with
  | 'too_large' // body over the cap
  | 'http'; // any other status

export class PromError extends Error {
  constructor(
    readonly kind: PromErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PromError';
  }
}

/** The client's messages already say where and what ("Prometheus /api/v1/query: bad_data: …"). */
export function describePromError(err: unknown): string {
  if (err instanceof PromError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export interface PromClient {
  readonly url: string;
  /** Instant query. `time` in ms; long queries are sent as a POST form. Throws PromError. */
  query(expr: string, opts?: { time?: number; signal?: AbortSignal }): Promise<PromQueryResult>;
  /** Range query (/api/v1/query_range): every series with its samples. Throws PromError. */
  queryRange(expr: string, opts: { start: number; end: number; stepMs: number; signal?: AbortSignal }): Promise<Array<{ labels: Record<string, string>; values: PromSample[] }>>;
  /** Active alerts from /api/v1/alerts. Throws PromError. */
  alerts(opts?: { signal?: AbortSignal }): Promise<PromAlert[]>;
  /** Series matching the selectors, from /api/v1/series. Throws PromError. */
  series(match: string[], opts?: { start?: number; end?: number; signal?: AbortSignal }): Promise<Array<Record<string, string>>>;
  /** True when /-/ready answers 200. Never throws. */
  ready(opts?: { signal?: AbortSignal }): Promise<boolean>;
  /** The rules Prometheus evaluates, from /api/v1/rules (`type` alert or record). Throws PromError. */
  rules(opts?: { type?: 'alert' | 'record'; signal?: AbortSignal }): Promise<PromRule[]>;
}

/** A rule as /api/v1/rules lists it. */
export interface PromRule {
  name: string;
  type: 'alerting' | 'recording';
  group: string;
  query: string;
}

// ---------------------------------------------------------------- Nodes

export type BreakerState = 'closed' | 'open' | 'half-open';

/** One probe of one node's health endpoint. */
export interface NodeProbe {
  node: string;
  at: number;
  /** false when the probe was not sent (breaker open, Retry-After in force). */
  sent: boolean;
  /** Reachable and answered 2xx with a JSON body that does not say it is unhealthy. */
  ok: boolean;
  status?: number;
  latencyMs?: number;
  /** Parsed JSON body, when there was one. */
  body?: unknown;
  /** The seed 004 error code from a 503 body: DB_POOL_EXHAUSTED, CIRCUIT_BREAKER_OPEN, … */
  errorCode?: string;
  error?: string;
  /** When the node asked us (Retry-After) or the breaker decided to wait until. */
  retryAt?: number;
}

/** What Flightdeck knows about a node after its probes. */
export interface NodeStatus {
  name: string;
  url: string;
  /** null until the first probe. */
  up: boolean | null;
  consecutiveFailures: number;
  breaker: BreakerState;
  retryAt?: number;
  last?: NodeProbe;
  /** The last body that parsed, kept while a node is down so fields stay inspectable. */
  lastBody?: unknown;
  lastOkAt?: number;
  degradedReason?: string;
}

export interface NodePoller {
  /** Probes every node that is due (skipping those behind an open breaker or Retry-After). */
  poll(opts?: { deep?: boolean; signal?: AbortSignal }): Promise<NodeProbe[]>;
  status(): NodeStatus[];
  close(): Promise<void>;
}
