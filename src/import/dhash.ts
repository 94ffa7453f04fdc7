/**
 * `flightdeck import dhash quality-gates-config.json`: seed 002's
 * configuration (environments → monitoring window, polling phases and
 * quality gates) becomes a plan for one environment. The config names gates
 * but not their queries; the known dhash gates get the queries of dhash's
 * metrics (the seed's "Quality Gates (Production defaults)"), any other gate
 * is listed as not imported. The rollback playbook is the seed's
 * "Auto-rollback process", since the config holds no scripts.
 */
import { ImportError, secondsToDuration, slugId, uniqueId, type ImportNote, type ImportResult } from './render.js';

export interface DhashImportOptions {
  sourceName: string;
  /** The environment to import (default: production, or the only one). */
  env?: string;
  service?: string;
  prometheusUrl?: string;
  /** The plan's nodes (the config has none). */
  nodes?: Array<{ name: string; url: string }>;
}

interface KnownGate {
  unit: 'ratio' | 'seconds' | 'count';
  /** PromQL with WINDOW for the rate window. */
  query: string;
}

/** dhash's metrics (seed 002), by the names a config gives its gates. */
const KNOWN: Record<string, KnownGate> = {
  extraction_failure_rate: { unit: 'ratio', query: 'sum(rate(dhash_extraction_failures_total[WINDOW])) / sum(rate(dhash_extractions_total[WINDOW]))' },
  p95_hash_time: { unit: 'seconds', query: 'histogram_quantile(0.95, sum by (le) (rate(dhash_hash_duration_seconds_bucket[WINDOW])))' },
  low_confidence_queue: { unit: 'count', query: 'max(dhash_low_confidence_queue_length)' },
  memory_usage: { unit: 'ratio', query: 'max(process_memory_usage_ratio)' },
  error_rate: { unit: 'ratio', query: 'sum(rate(http_requests_total{status=~"5.."}[WINDOW])) / sum(rate(http_requests_total[WINDOW]))' },
};
const ALIASES: Record<string, string> = {
  hash_time_p95: 'p95_hash_time',
  p95_hash_time_ms: 'p95_hash_time',
  low_confidence_queue_length: 'low_confidence_queue',
  memory: 'memory_usage',
  extraction_failures: 'extraction_failure_rate',
};

export function importDhash(text: string, o: DhashImportOptions): ImportResult {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new ImportError(`${o.sourceName}: not JSON: ${(err as Error).message}`);
  }
  const envs = (root as { environments?: unknown })?.environments;
  if (!envs || typeof envs !== 'object' || Array.isArray(envs)) throw new ImportError(`${o.sourceName}: expected { "environments": { "production": { ... } } }`);
  const names = Object.keys(envs);
  const envName = o.env ?? (names.includes('production') ? 'production' : names.length === 1 ? names[0]! : undefined);
  if (!envName) throw new ImportError(`${o.sourceName}: several environments (${names.join(', ')}): pass --env NAME`);
  const env = (envs as Record<string, unknown>)[envName] as Record<string, unknown> | undefined;
  if (!env) throw new ImportError(`${o.sourceName}: no environment "${envName}" (it has ${names.join(', ')})`);

  const notes: ImportNote[] = [];
  const skipped: ImportResult['skipped'] = [];
  for (const key of Object.keys(root as object)) if (key !== 'environments') notes.push({ path: [], text: `top-level "${key}" not mapped` });
  const others = names.filter((n) => n !== envName);
  if (others.length) notes.push({ path: [], text: `environment(s) ${others.join(', ')} not in this plan: run again with --env ${others[0]}` });
  for (const key of Object.keys(env)) if (key !== 'monitoring' && key !== 'quality_gates') notes.push({ path: [], text: `environments.${envName}.${key} not mapped` });

  const plan: Record<string, unknown> = { service: o.service ?? 'dhash', environment: envName };
  plan.prometheus = { url: o.prometheusUrl ?? 'http://127.0.0.1:9090' };
  plan.nodes = o.nodes?.length ? o.nodes : [{ name: 'dhash-1', url: 'http://127.0.0.1:8080', health: '/health' }];
  if (!o.nodes?.length) notes.push({ path: ['nodes'], text: 'the config names no nodes; this one is a placeholder: replace it, or pass --nodes-file FILE' });
  if (!o.prometheusUrl) notes.push({ path: ['prometheus', 'url'], text: 'the config names no Prometheus: pass --prometheus-url URL' });
  const polling = monitoring(env.monitoring, envName, notes);
  if (polling) plan.polling = polling;

  const gates: Array<Record<string, unknown>> = [];
  const taken = new Set<string>();
  const qg = env.quality_gates;
  if (!qg || typeof qg !== 'object') throw new ImportError(`${o.sourceName}: environments.${envName} has no quality_gates`);
  for (const [name, raw] of Object.entries(qg as Record<string, unknown>)) {
    const g = (raw ?? {}) as Record<string, unknown>;
    const where = `quality_gates.${name}`;
    const why: string[] = [`from environments.${envName}.${where}`];
    const threshold = (g.threshold ?? {}) as Record<string, unknown>;
    const gate: Record<string, unknown> = { id: uniqueId(slugId(name), taken), title: name.replace(/_/g, ' ') };
    const key = ALIASES[name] ?? name;
    if (key === 'health') {
      const n = threshold.consecutive_failures;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
        skipped.push({ what: where, why: `threshold.consecutive_failures ${JSON.stringify(n)} is not a count`, source: JSON.stringify(raw) });
        continue;
      }
      gate.health = { consecutiveFailures: n + 1 };
      why.push(`consecutive_failures ${n} → consecutiveFailures ${n + 1}: the seed reads it as ">${n} consecutive non-OK checks", the strict ">" of every other threshold`);
      for (const k of Object.keys(threshold)) if (k !== 'consecutive_failures') why.push(`threshold.${k} not mapped`);
    } else if (KNOWN[key]) {
      const known = KNOWN[key]!;
      const mapped = gateThreshold(threshold, known.unit, why);
      if (!mapped) {
        skipped.push({ what: where, why: `no threshold Flightdeck reads in ${JSON.stringify(threshold)} (max_*/min_* with window_minutes)`, source: JSON.stringify(raw) });
        continue;
      }
      const window = mapped.windowMin ? `${mapped.windowMin}m` : '5m';
      gate.query = known.query.replace(/WINDOW/g, window);
      gate.unit = known.unit;
      gate.fail = mapped.fail;
      if (mapped.windowMin) gate.for = `${mapped.windowMin}m`;
      if (mapped.windowMin) why.push(`window_minutes ${mapped.windowMin} → for: ${mapped.windowMin}m and a ${mapped.windowMin}m rate window`);
      if (!mapped.windowMin && known.query.includes('WINDOW')) why.push('no window_minutes: a 5m rate window and no for:');
    } else {
      skipped.push({ what: where, why: `no known dhash metric for "${name}" (known: health, ${Object.keys(KNOWN).join(', ')}); write its query by hand`, source: JSON.stringify(raw) });
      continue;
    }
    const actions = Array.isArray(g.actions) ? g.actions.map(String) : [];
    if (actions.includes('auto_rollback') || actions.includes('rollback')) gate.onFail = 'rollback';
    else if (actions.includes('block')) gate.onFail = 'block';
    else if (actions.includes('alert')) gate.onFail = 'alert';
    else {
      gate.onFail = 'block';
      why.push(`actions ${JSON.stringify(g.actions ?? null)} name no alert or auto_rollback: onFail: block`);
    }
    if (actions.length) why.push(`actions ${actions.join(', ')} → onFail: ${gate.onFail}${gate.onFail === 'rollback' ? ' (every failing gate also alerts)' : ''}`);
    const unknownActions = actions.filter((a) => !['alert', 'auto_rollback', 'rollback', 'block'].includes(a));
    if (unknownActions.length) why.push(`actions ${unknownActions.join(', ')} not mapped`);
    if (g.enabled === false) {
      gate.mode = 'off';
      why.push('enabled: false → mode: off (kept, not evaluated)');
    }
    for (const k of Object.keys(g)) if (!['enabled', 'threshold', 'actions'].includes(k)) why.push(`${k} not mapped`);
    notes.push({ path: ['stages', 0, 'gates', gates.length], text: why.join('\n  ') });
    gates.push(gate);
  }
  if (gates.length === 0) throw new ImportError(`${o.sourceName}: no quality gate could be imported:\n${skipped.map((s) => `  ${s.what}: ${s.why}`).join('\n')}`);

  const stage: Record<string, unknown> = { id: 'post-deploy', title: 'Post-deploy quality gate monitoring', gates };
  if (gates.some((g) => g.onFail === 'rollback')) {
    stage.rollback = {
      steps: [
        { name: 'Locate and verify the latest backup (SHA-256)', run: ['./scripts/verify_backup.sh', '--backup', 'backups/dhash_latest.zip'], precondition: { sha256: 'backups/dhash_latest.zip' }, dryRun: ['--dry-run'] },
        { name: 'Roll back with --force', run: ['./scripts/rollback_dhash.sh', '--backup', 'backups/dhash_latest.zip', '--env', envName, '--force'], precondition: { sha256: 'backups/dhash_latest.zip' }, timeout: '10m', dryRun: ['--dry-run'] },
        { name: 'Post-rollback validation', run: ['./scripts/smoke_tests.sh', '--env', envName, '--post-rollback'], dryRun: ['--dry-run'] },
      ],
    };
    notes.push({ path: ['stages', 0, 'rollback'], text: 'the config holds no scripts: these are seed 002\'s auto-rollback steps (locate and verify the latest backup, roll back with --force, validate); check the paths' });
  }
  plan.stages = [stage];
  plan.notify = [{ kind: 'file', name: 'fallback', path: 'monitor_logs/notification_fallback.jsonl' }];
  notes.push({ path: ['notify'], text: 'seed 002\'s file fallback; its webhooks (SLACK_WEBHOOK_URL, TEAMS_WEBHOOK_URL, DISCORD_WEBHOOK_URL) live in .env.notifications, not in this config: add { kind: slack, urlEnv: SLACK_WEBHOOK_URL } etc.' });
  return {
    plan,
    header: [`Imported by flightdeck import dhash from ${o.sourceName} (environment ${envName}).`, 'Review every NOTE before using this plan.'],
    notes,
    skipped,
  };
}

function monitoring(raw: unknown, envName: string, notes: ImportNote[]): Record<string, unknown> | undefined {
  if (raw === undefined) {
    notes.push({ path: [], text: `environments.${envName}.monitoring missing: Flightdeck's default polling (60m window, 30s for 5m, then 2m)` });
    return undefined;
  }
  const m = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const why: string[] = [];
  if (typeof m.window_minutes === 'number' && m.window_minutes > 0) {
    out.window = `${m.window_minutes}m`;
    why.push(`window_minutes ${m.window_minutes} → window`);
  }
  const p = (m.poll_intervals ?? {}) as Record<string, unknown>;
  const initialMin = num(p.initial_minutes);
  const initialSec = num(p.initial_interval_seconds);
  const normalSec = num(p.normal_interval_seconds);
  const phases: Array<Record<string, string>> = [];
  if (initialMin && initialSec && normalSec) phases.push({ for: `${initialMin}m`, every: secondsToDuration(initialSec) }, { every: secondsToDuration(normalSec) });
  else if (normalSec || initialSec) {
    phases.push({ every: secondsToDuration((normalSec ?? initialSec)!) });
    why.push('only one polling interval given: one phase');
  }
  if (phases.length) out.phases = phases;
  if (phases.length) why.push('poll_intervals → phases');
  for (const k of Object.keys(p)) if (!['initial_minutes', 'initial_interval_seconds', 'normal_interval_seconds'].includes(k)) why.push(`poll_intervals.${k} not mapped`);
  for (const k of Object.keys(m)) if (!['window_minutes', 'poll_intervals'].includes(k)) why.push(`monitoring.${k} not mapped`);
  notes.push({ path: ['polling'], text: `from environments.${envName}.monitoring: ${why.join('; ') || 'nothing read'}` });
  return Object.keys(out).length ? out : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** max_X / min_X (with X's unit from its suffix) and window_minutes. */
function gateThreshold(t: Record<string, unknown>, unit: KnownGate['unit'], why: string[]): { fail: string | string[]; windowMin?: number } | undefined {
  const fails: string[] = [];
  let windowMin: number | undefined;
  for (const [k, v] of Object.entries(t)) {
    if (k === 'window_minutes') {
      if (typeof v === 'number' && v > 0) windowMin = v;
      else why.push(`window_minutes ${JSON.stringify(v)} not read`);
      continue;
    }
    const m = /^(max|min)(?:_(.+))?$/.exec(k);
    if (!m || typeof v !== 'number' || !Number.isFinite(v)) {
      why.push(`threshold.${k} ${JSON.stringify(v)} not mapped`);
      continue;
    }
    const suffix = m[2] ?? '';
    let value = v;
    if (suffix === 'percent' || suffix === 'pct') value = v / 100;
    else if (suffix === 'ms' && unit === 'seconds') value = v / 1000;
    else if (!['', 'rate', 'ratio', 'items', 'count', 'seconds', 's', 'length'].includes(suffix)) {
      why.push(`threshold.${k}: unit "${suffix}" not known; taken as written`);
    }
    const op = m[1] === 'max' ? '>' : '<';
    fails.push(`${op} ${Number(value.toPrecision(12))}`);
    why.push(`threshold.${k} ${v} → fail "${op} ${Number(value.toPrecision(12))}"${value !== v ? ` (${unit})` : ''}`);
  }
  if (fails.length === 0) return undefined;
  return { fail: fails.length === 1 ? fails[0]! : fails, windowMin };
}
