/**
 * What a simulated node is doing: its traffic and the faults injected into
 * it. A fleet's profile is the baseline; `setFault` overrides fields per node.
 */
import * as z from 'zod';

export interface Fault {
  /** Requests per second the node serves (drives every counter). */
  requestRate: number;
  /** Share of requests answered 5xx (0..1). At 0.5 or more /health says "down". */
  errorRate: number;
  /** Added to every HTTP answer of the node (real time) and to request latency metrics. */
  latencyMs: number;
  /** p95 of dhash_hash_duration_seconds, in ms. */
  hashP95Ms: number;
  /** p99 of stage_validation_duration_seconds, in ms. */
  validationP99Ms: number;
  /** database_pool.state.saturation and db_pool_saturation (0..1). */
  saturation: number;
  /** dhash_low_confidence_queue_length. */
  queueLength: number;
  /** process_memory_usage_ratio (0..1). */
  memoryRatio: number;
  /** The node's server is closed: connection refused. */
  down: boolean;
  /** /health answers 503 DB_POOL_EXHAUSTED with Retry-After: retryAfterSeconds. */
  poolExhausted: boolean;
  retryAfterSeconds: number;
  /** /health answers 503 CIRCUIT_BREAKER_OPEN (fail fast, no Retry-After). */
  circuitOpen: boolean;
  /** Non-empty: /health says status "degraded" with this degraded_reason. */
  degradedReason: string;
  /** resilience.policy_state.blocked and resilience.alerts.restart_blocked. */
  policyBlocked: boolean;
  /** dhash_extraction_failures_total / dhash_extractions_total. */
  extractionFailureRate: number;
  /** stage_validation_errors_total / stage_validation_validations_total. */
  validationErrorRate: number;
  /** stage_deprecation_header_emitted_total / validations in warn mode (0..1). */
  headerCoverage: number;
  /** helper_bucket_total gains a bucket outside '1','2-5','6-10','11+'. */
  badBucket: boolean;
  /** Watchdog restarts per 10 minutes (watchdog_restarts_total). */
  watchdogRestarts: number;
  version: string;
  trafficPercent: number;
}

export const DEFAULT_PROFILE: Fault = {
  requestRate: 20,
  errorRate: 0.005,
  latencyMs: 0,
  hashP95Ms: 400,
  validationP99Ms: 3,
  saturation: 0.42,
  queueLength: 40,
  memoryRatio: 0.45,
  down: false,
  poolExhausted: false,
  retryAfterSeconds: 30,
  circuitOpen: false,
  degradedReason: '',
  policyBlocked: false,
  extractionFailureRate: 0.01,
  validationErrorRate: 0.002,
  headerCoverage: 1,
  badBucket: false,
  watchdogRestarts: 0,
  version: 'v1.2.3',
  trafficPercent: 100,
};

const ratio = z.number().min(0).max(1);
const nonNegative = z.number().min(0).finite();

/** Validates a partial fault (from code or the control server). */
export const partialFaultSchema = z
  .object({
    requestRate: nonNegative.max(100_000),
    errorRate: ratio,
    latencyMs: nonNegative.max(600_000),
    hashP95Ms: z.number().positive().max(600_000),
    validationP99Ms: z.number().positive().max(600_000),
    saturation: ratio,
    queueLength: nonNegative,
    memoryRatio: ratio,
    down: z.boolean(),
    poolExhausted: z.boolean(),
    retryAfterSeconds: z.number().int().min(0).max(86_400),
    circuitOpen: z.boolean(),
    degradedReason: z.string().max(500),
    policyBlocked: z.boolean(),
    extractionFailureRate: ratio,
    validationErrorRate: ratio,
    headerCoverage: ratio,
    badBucket: z.boolean(),
    watchdogRestarts: nonNegative,
    version: z.string().min(1).max(100),
    trafficPercent: z.number().min(0).max(100),
  })
  .partial()
  .strict();

/** Which nodes a fault applies to: every node, one node by name, or node indexes (0-based). */
export type FaultTarget = 'all' | string | number[];

export const faultTargetSchema = z.union([z.string().min(1), z.array(z.number().int().min(0))]);

/** Parses a partial fault, throwing an Error that names the bad fields. */
export function parseFault(input: unknown): Partial<Fault> {
  const r = partialFaultSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || 'fault'}: ${i.message}`).join('; ');
    throw new Error(`invalid fault: ${msg}`);
  }
  return r.data as Partial<Fault>;
}
