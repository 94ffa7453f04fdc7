/**
 * The plan file's schema (zod). Durations are written "30s", "5m", "1h" and
 * come out in milliseconds; thresholds are written "> 0.05" and come out
 * parsed. Secrets are never values in a plan: only `*Env` / `*File` references.
 */
import * as z from 'zod';
import { GATE_KIND_FIELDS, GATE_KIND_MODULES, GATE_KINDS } from '../../checks/index.js';
import { commandSpec, duration } from './schema-parts.js';
import { httpUrl } from './http-url.js';
import { parseThreshold, THRESHOLD_EXAMPLE, type Threshold } from './threshold.js';
import { UNITS } from './units.js';

export { duration };
export { MAX_RANGE_POINTS } from '../../checks/compare.js';
export { GATE_KINDS, gateKind, type GateKind } from '../../checks/index.js';

const threshold = z
  .union([z.string(), z.number()], { error: `expected ${THRESHOLD_EXAMPLE}` })
  .transform((s, ctx): Threshold => {
    const text = typeof s === 'number' ? `> ${s}` : s;
    const t = parseThreshold(text);
    if (!t) {
      ctx.addIssue({ code: 'custom', message: `expected ${THRESHOLD_EXAMPLE}, got "${s}"` });
      return z.NEVER;
    }
    return t;
  });

/** One threshold or several: a gate breaches when any of them does. */
const thresholds = z.union([threshold, z.array(threshold).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

export const modeSchema = z.enum(['off', 'warn', 'enforce']);
export const onFailSchema = z.enum(['alert', 'block', 'rollback']);
export const reducerSchema = z.enum(['max', 'min', 'sum', 'avg', 'count', 'any']);

export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as PROM_TOKEN');

/** A value that is a secret: taken from the environment or a file, never written inline. */
export const secretRef = z
  .object({ env: envName.optional(), file: z.string().optional() })
  .strict()
  .refine((v) => (v.env ? 1 : 0) + (v.file ? 1 : 0) === 1, 'expected exactly one of env or file');

/**
 * `store: { postgres: { urlEnv: FLIGHTDECK_PG_URL } }`: the URL (with its password) comes from the
 * environment, never from the plan. TLS: `sslmode=` in the URL, or `ssl:` here.
 */
const storeSchema = z
  .object({
    postgres: z
      .object({
        urlEnv: envName,
        url: z
          .unknown()
          .optional()
          .refine((v) => v === undefined, 'a literal database URL is refused in a plan (it would carry the password): put it in an environment variable and name it with urlEnv'),
        ssl: z.union([z.boolean(), z.enum(['require', 'prefer', 'verify-full'])]).optional(),
        /** How long a guard's leadership lease lasts without renewal (default 15s): a standby takes over within it. */
        lease: duration.default(15_000),
      })
      .strict(),
  })
  .strict();

const httpSpec = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    url: httpUrl('http://127.0.0.1:8080/api/deploy'),
    headers: z.record(z.string(), z.union([z.string(), secretRef])).optional(),
    body: z.unknown().optional(),
    timeout: duration.default(30_000),
    expectStatus: z.array(z.number().int()).optional(),
    dryRun: z.literal(false).optional(),
  })
  .strict();

const precondition = z
  .object({
    /** The file's SHA-256 must match the one written in `<file>.sha256` (sha256sum format). */
    sha256: z.string().optional(),
    /** A gate id of this plan that must be ok (or warn) for the step to run. */
    gate: z.string().optional(),
    /** A command that must exit 0. */
    run: z.array(z.string()).min(1).optional(),
  })
  .strict()
  .refine((p) => p.sha256 || p.gate || p.run, 'expected one of sha256, gate or run');

const stepSpec = z
  .object({
    name: z.string().min(1),
    run: commandSpec.shape.run.optional(),
    http: httpSpec.optional(),
    timeout: duration.optional(),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    dryRun: z.union([z.array(z.string()), z.literal(false)]).optional(),
    precondition: precondition.optional(),
    leftovers: commandSpec.shape.leftovers,
    continueOnFailure: z.boolean().default(false),
    /** Only run this step when the operator asks for it (seed 001's "if needed" steps). */
    optional: z.boolean().default(false),
  })
  .strict()
  .refine((s) => (s.run ? 1 : 0) + (s.http ? 1 : 0) === 1, 'expected exactly one of run or http');

export const actionSchema = z.union([
  commandSpec,
  z.object({ http: httpSpec }).strict(),
  z.object({ steps: z.array(stepSpec).min(1) }).strict(),
]);

const baselineSpec = z
  .object({
    /** A PromQL query on the stable cohort. */
    query: z.string().optional(),
    /** The gate's own query evaluated this long before the window opened. */
    offset: duration.optional(),
    /** A literal baseline value. */
    value: z.number().optional(),
    /** For evidence gates: a field of the same report holding the baseline. */
    field: z.string().optional(),
  })
  .strict();

export const gateSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected an id of letters, digits, ".", "_" or "-"'),
    title: z.string().optional(),
    description: z.string().optional(),
    // --- kinds: exactly one (each kind's module, checks/<kind>.ts, holds its part) ---
    ...GATE_KIND_FIELDS,
    // --- evaluation ---
    deep: z.boolean().optional(),
    reduce: reducerSchema.optional(),
    /** What the value is, for display: seconds, ms, bytes, ratio (0.05 shows as 5%), percent, count. */
    unit: z.enum(UNITS).optional(),
    alertState: z.enum(['firing', 'pending']).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    fail: thresholds.optional(),
    warn: thresholds.optional(),
    for: duration.optional(),
    forProbes: z.number().int().min(1).optional(),
    baseline: baselineSpec.optional(),
    onFail: onFailSchema.default('block'),
    noData: z.enum(['block', 'pass']).default('block'),
    /** Error evaluations in a row after which `onError` applies (Argo Rollouts' consecutiveErrorLimit). */
    errorLimit: z.number().int().min(1).default(3),
    /** What `errorLimit` errors in a row do: hold (block promotion, alert) or rollback. */
    onError: z.enum(['hold', 'rollback']).default('hold'),
    mode: modeSchema.optional(),
    /** Samples older than this are stale and count as no data. */
    staleAfter: duration.optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    const kinds = GATE_KINDS.filter((k) => g[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? `expected one check: ${GATE_KINDS.join(', ')}`
            : `expected exactly one check, got ${kinds.join(' and ')}`,
      });
    }
    // A kind without a default threshold (a query's value means nothing by itself) needs `fail:`.
    if (g.fail === undefined && kinds.some((k) => GATE_KIND_MODULES[k].defaultFail?.(g as GateSpec) === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['fail'], message: `expected ${THRESHOLD_EXAMPLE}` });
    }
    // Fields a kind owns besides its own key (healthField's expect and absent) are refused on the others.
    for (const m of Object.values(GATE_KIND_MODULES)) {
      const stray = m.ownFields?.find((f) => g[f as keyof typeof g] !== undefined);
      if (stray && g[m.kind] === undefined) ctx.addIssue({ code: 'custom', path: [stray], message: `expected only on ${/^[aeiou]/i.test(m.kind) ? 'an' : 'a'} ${m.kind} gate` });
    }
    if (g.for !== undefined && g.forProbes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['forProbes'], message: 'expected either for or forProbes, not both' });
    }
  });


const nodeSchema = z
  .object({
    name: z.string().min(1),
    url: httpUrl('http://web-1:8080'),
    health: z.string().startsWith('/').default('/health'),
    deep: z.string().startsWith('/').optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const notifierSchema = z
  .object({
    kind: z.enum(['slack', 'teams', 'discord', 'webhook', 'email', 'file']),
    name: z.string().optional(),
    urlEnv: envName.optional(),
    urlFile: z.string().optional(),
    path: z.string().optional(),
    headers: z.record(z.string(), secretRef).optional(),
    events: z.array(z.string()).optional(),
    minSeverity: z.enum(['info', 'warning', 'critical']).optional(),
    smtp: z
      .object({
        host: z.string(),
        port: z.number().int().default(587),
        secure: z.boolean().default(false),
        userEnv: envName.optional(),
        passwordEnv: envName.optional(),
        passwordFile: z.string().optional(),
      })
      .strict()
      .optional(),
    from: z.string().optional(),
    to: z.array(z.string()).optional(),
    toEnv: envName.optional(),
    timeout: duration.default(5_000),
    retries: z.number().int().min(0).max(10).default(4),
  })
  .strict();

export const stageSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected an id of letters, digits, ".", "_" or "-"'),
    title: z.string().optional(),
    bake: duration.default(0),
    gates: z.array(gateSchema).default([]),
    promote: actionSchema.optional(),
    rollback: actionSchema.optional(),
  })
  .strict();

export const planSchema = z
  .object({
    service: z.string().min(1),
    environment: z.string().default('production'),
    description: z.string().optional(),
    mode: modeSchema.default('enforce'),
    prometheus: z
      .object({
        url: httpUrl('http://127.0.0.1:9090'),
        tokenEnv: envName.optional(),
        tokenFile: z.string().optional(),
        headers: z.record(z.string(), secretRef).optional(),
        timeout: duration.default(5_000),
        maxBytes: z.number().int().positive().default(8 * 1024 * 1024),
      })
      .strict()
      .optional(),
    nodes: z.array(nodeSchema).default([]),
    probe: z
      .object({
        timeout: duration.default(3_000),
        concurrency: z.number().int().min(1).max(1024).default(64),
        breaker: z
          .object({ failures: z.number().int().min(1).default(3), cooldown: duration.default(30_000) })
          .strict()
          .default({ failures: 3, cooldown: 30_000 }),
      })
      .strict()
      .default({ timeout: 3_000, concurrency: 64, breaker: { failures: 3, cooldown: 30_000 } }),
    polling: z
      .object({
        window: duration.default(3_600_000),
        phases: z
          .array(z.object({ for: duration.optional(), every: duration }).strict())
          .min(1)
          .default([{ for: 300_000, every: 30_000 }, { every: 120_000 }]),
        hot: duration.default(5_000),
        jitter: z.number().min(0).max(0.5).default(0.1),
      })
      .strict()
      .default({ window: 3_600_000, phases: [{ for: 300_000, every: 30_000 }, { every: 120_000 }], hot: 5_000, jitter: 0.1 }),
    /** Gates evaluated in every stage (alert thresholds that hold for the whole window). */
    gates: z.array(gateSchema).default([]),
    stages: z.array(stageSchema).min(1, 'expected at least one stage'),
    env: z.record(z.string(), z.string()).optional(),
    notify: z.array(notifierSchema).default([]),
    audit: z.object({ file: z.string().default('monitor_logs/audit.jsonl') }).strict().default({ file: 'monitor_logs/audit.jsonl' }),
    /** Where the rollout state, action lock, audit and guard leadership live: files beside the plan (default) or PostgreSQL. */
    store: storeSchema.optional(),
    logs: z.object({ dir: z.string().default('monitor_logs') }).strict().default({ dir: 'monitor_logs' }),
    override: z
      .object({ minReasonLength: z.number().int().min(1).default(10) })
      .strict()
      .default({ minReasonLength: 10 }),
    /** Who may promote, override, roll back or sign off through the guard: user names, or `group:NAME`. Absent: everyone who can reach its socket. */
    operators: z.array(z.string().min(1).regex(/^(group:)?[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, 'a user name or group:NAME')).optional(),
  })
  .strict();

export type Plan = z.output<typeof planSchema>;
export type PlanInput = z.input<typeof planSchema>;
export type StageSpec = z.output<typeof stageSchema>;
export type GateSpec = z.output<typeof gateSchema>;
export type ActionSpec = z.output<typeof actionSchema>;
export type NodeSpec = Plan['nodes'][number];
export type NotifierSpec = Plan['notify'][number];
export type Mode = z.output<typeof modeSchema>;
export type OnFail = z.output<typeof onFailSchema>;
export type Reducer = z.output<typeof reducerSchema>;

