/**
 * One simulated node's state: its fault, and the running totals its metrics
 * read. Totals are integrated lazily from elapsed clock time (no timers): a
 * scrape or a fault change first settles the span since the last one at the
 * rates of the fault that held over it.
 */
import { addObservations, emptyHistogram, logNormal, type HistogramState } from './distribution.js';
import type { Fault } from './fault.js';

export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
export const HASH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5] as const;
export const VALIDATION_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1] as const;
/** The helper label values seed 001 allows, with their shares of validations. */
export const HELPER_BUCKETS: ReadonlyArray<readonly [string, number]> = [
  ['1', 0.4],
  ['2-5', 0.35],
  ['6-10', 0.15],
  ['11+', 0.1],
];
/** The out-of-set value a badBucket fault adds (a raw count leaking into the label). */
export const BAD_BUCKET = '17';

const EXTRACTIONS_PER_REQUEST = 0.5;
const WARN_MODE_SHARE = 0.1;
const DUAL_WRITES_PER_REQUEST = 0.2;
const POOL_SIZE = 20;
const MEMORY_LIMIT_BYTES = 2 * 1024 ** 3;

export interface NodeTotals {
  requests: { ok: number; error: number };
  requestDuration: HistogramState;
  extractions: number;
  extractionFailures: number;
  hashDuration: HistogramState;
  validations: { warn: number; enforce: number };
  validationErrors: number;
  validationDuration: HistogramState;
  headersEmitted: number;
  helperBuckets: Record<string, number>;
  registryRequests: { ok: number; error: number };
  registryDuration: HistogramState;
  dualWrites: { success: number; failure: number };
  watchdogRestarts: number;
}

export class SimNode {
  overrides: Partial<Fault> = {};
  fault: Fault;
  readonly totals: NodeTotals;
  private settledAt: number;

  constructor(
    readonly index: number,
    readonly name: string,
    /** The fleet profile with this node's jitter applied. */
    readonly base: Fault,
    readonly startedAt: number,
  ) {
    this.fault = { ...base };
    this.settledAt = startedAt;
    this.totals = {
      requests: { ok: 0, error: 0 },
      requestDuration: emptyHistogram(HTTP_BUCKETS),
      extractions: 0,
      extractionFailures: 0,
      hashDuration: emptyHistogram(HASH_BUCKETS),
      validations: { warn: 0, enforce: 0 },
      validationErrors: 0,
      validationDuration: emptyHistogram(VALIDATION_BUCKETS),
      headersEmitted: 0,
      helperBuckets: Object.fromEntries(HELPER_BUCKETS.map(([b]) => [b, 0])),
      registryRequests: { ok: 0, error: 0 },
      registryDuration: emptyHistogram(HTTP_BUCKETS),
      dualWrites: { success: 0, failure: 0 },
      watchdogRestarts: 0,
    };
  }

  /** Settles totals up to `now`, then applies the new overrides. */
  setOverrides(overrides: Partial<Fault>, now: number): void {
    this.settle(now);
    this.overrides = overrides;
    this.fault = { ...this.base, ...overrides };
  }

  /** Share of requests failing: the error rate, raised by an exhausted pool or an open circuit. */
  effectiveErrorRate(): number {
    const f = this.fault;
    if (f.circuitOpen) return 1;
    if (f.poolExhausted) return Math.max(f.errorRate, 0.5);
    return f.errorRate;
  }

  effectiveSaturation(): number {
    return this.fault.poolExhausted ? 1 : this.fault.saturation;
  }

  /** Integrates the rates of the current fault from the last settle to `now`. */
  settle(now: number): void {
    const dt = (now - this.settledAt) / 1000;
    if (!(dt > 0)) return;
    this.settledAt = now;
    const f = this.fault;
    if (f.down) return; // a stopped process serves nothing
    const t = this.totals;
    const n = f.requestRate * dt;
    const err = this.effectiveErrorRate();
    const shift = f.latencyMs / 1000;
    const requestDist = logNormal(0.5, 0.02, 0.6, shift);

    t.requests.ok += n * (1 - err);
    t.requests.error += n * err;
    addObservations(t.requestDuration, n, requestDist);

    const extractions = n * EXTRACTIONS_PER_REQUEST;
    t.extractions += extractions;
    t.extractionFailures += extractions * f.extractionFailureRate;
    addObservations(t.hashDuration, extractions, logNormal(0.95, f.hashP95Ms / 1000, 0.5));

    const warn = n * WARN_MODE_SHARE;
    t.validations.warn += warn;
    t.validations.enforce += n - warn;
    t.validationErrors += n * f.validationErrorRate;
    t.headersEmitted += warn * f.headerCoverage;
    addObservations(t.validationDuration, n, logNormal(0.99, f.validationP99Ms / 1000, 0.4));
    for (const [bucket, share] of HELPER_BUCKETS) t.helperBuckets[bucket]! += n * share;
    if (f.badBucket) t.helperBuckets[BAD_BUCKET] = (t.helperBuckets[BAD_BUCKET] ?? 0) + n * 0.05;

    t.registryRequests.ok += n * (1 - err);
    t.registryRequests.error += n * err;
    addObservations(t.registryDuration, n, requestDist);

    const writes = n * DUAL_WRITES_PER_REQUEST;
    t.dualWrites.success += writes * (1 - err);
    t.dualWrites.failure += writes * err;
    t.watchdogRestarts += (f.watchdogRestarts * dt) / 600;
  }

  memoryBytes(): number {
    return Math.round(this.fault.memoryRatio * MEMORY_LIMIT_BYTES);
  }

  /** The seed 004 health JSON; `deep` adds the derived index telemetry. */
  health(now: number, service: string, deep: boolean): Record<string, unknown> {
    const f = this.fault;
    const saturation = this.effectiveSaturation();
    const churn = f.watchdogRestarts >= 3;
    const status = f.errorRate >= 0.5 ? 'down' : f.degradedReason ? 'degraded' : 'ok';
    const body: Record<string, unknown> = {
      status,
      degraded_reason: f.degradedReason,
      service,
      node: this.name,
      version: f.version,
      traffic_percent: f.trafficPercent,
      uptime_seconds: Math.max(0, Math.floor((now - this.startedAt) / 1000)),
      database_pool: {
        runtime: { pool_size: POOL_SIZE, max_overflow: 5, pool_timeout_seconds: 30, pool_recycle_seconds: 1800 },
        state: {
          saturation: round(saturation, 4),
          in_use: Math.round(saturation * POOL_SIZE),
          size: POOL_SIZE,
          overflow: 0,
          waiting: saturation >= 1 ? 3 : 0,
        },
      },
      resilience: {
        policy_state: {
          state: f.policyBlocked ? 'blocked' : churn ? 'cooldown' : 'allowed',
          blocked: f.policyBlocked,
          restarts_last_10m: Math.round(f.watchdogRestarts),
        },
        alerts: { restart_blocked: f.policyBlocked, restart_churn: churn, pool_saturation_high: saturation >= 0.9 },
      },
      route_cache: { mode: 'redis', available: true, degraded: f.degradedReason !== '', hit_rate: 0.93 },
    };
    if (deep) {
      body.cache = { derived_search_index: { entries: 12_840, stale: false, age_seconds: 42 } };
      body.resource_cache = { derived_index: { entries: 3_210, stale: false, age_seconds: 38 } };
    }
    return body;
  }
}

function round(v: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}
