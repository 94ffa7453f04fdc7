/**
 * The seed plans in fixtures/plans: each loads cleanly, encodes its seed's
 * thresholds, and runs scripts that exist and behave as the fixture contract
 * says (markers, --dry-run, exit codes from the environment).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { getPath } from '../../checks/value.js';
import { loadPlan, type LoadedPlan } from '../../src/plan/load.js';
import { gateKind, type ActionSpec, type GateSpec, type Plan } from '../../src/plan/schema.js';
import { breaches, type Threshold } from '../../src/plan/threshold.js';

const PLANS = resolve('fixtures/plans');
const SCRIPTS = resolve('fixtures/scripts');
const RULES = resolve('fixtures/prometheus-rules/seed-003.rules.yml');
const planFiles = readdirSync(PLANS).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'fd-seed-'));
  tmpDirs.push(d);
  return d;
}

const loaded = new Map<string, LoadedPlan>();
async function plan(name: string): Promise<Plan> {
  let l = loaded.get(name);
  if (!l) {
    l = await loadPlan(join(PLANS, name));
    loaded.set(name, l);
  }
  return l.plan;
}

function allGates(p: Plan): GateSpec[] {
  return [...p.gates, ...p.stages.flatMap((s) => s.gates)];
}
function gate(p: Plan, id: string): GateSpec {
  const g = allGates(p).find((x) => x.id === id);
  if (!g) throw new Error(`no gate ${id}`);
  return g;
}
const texts = (ts: Threshold[] | undefined) => (ts ?? []).map((t) => t.text);
function steps(a: ActionSpec | undefined) {
  if (!a || !('steps' in a)) throw new Error('expected a steps action');
  return a.steps;
}
function stage(p: Plan, id: string) {
  const s = p.stages.find((x) => x.id === id);
  if (!s) throw new Error(`no stage ${id}`);
  return s;
}

/** Every argv a plan can run: gate commands, action commands and steps, run preconditions. */
function argvs(p: Plan): Array<{ argv: string[]; dryRun?: string[] | false; env?: Record<string, string> }> {
  const out: Array<{ argv: string[]; dryRun?: string[] | false; env?: Record<string, string> }> = [];
  for (const g of allGates(p)) if (g.command) out.push({ argv: g.command.run, env: g.command.env });
  for (const s of p.stages) {
    for (const a of [s.promote, s.rollback]) {
      if (!a) continue;
      if ('run' in a) out.push({ argv: a.run, dryRun: a.dryRun, env: a.env });
      if ('steps' in a) {
        for (const st of a.steps) {
          if (st.run) out.push({ argv: st.run, dryRun: st.dryRun, env: st.env });
          if (st.precondition?.run) out.push({ argv: st.precondition.run });
        }
      }
    }
  }
  return out;
}

const FLEET_METRICS = new Set([
  'http_requests_total', 'http_request_duration_seconds_bucket', 'dhash_extractions_total', 'dhash_extraction_failures_total',
  'dhash_hash_duration_seconds_bucket', 'dhash_low_confidence_queue_length', 'process_memory_usage_ratio',
  'stage_validation_validations_total', 'stage_validation_errors_total', 'stage_validation_duration_seconds_bucket',
  'stage_deprecation_header_emitted_total', 'helper_bucket_total', 'instrument_registry_http_requests_total',
  'instrument_registry_http_request_duration_seconds_bucket', 'instrument_registry_memory_usage_bytes',
  'dual_write_operations_total', 'watchdog_restarts_total', 'db_pool_saturation',
]);
const PROMQL_WORDS = new Set(['sum', 'max', 'min', 'avg', 'count', 'rate', 'increase', 'by', 'le', 'histogram_quantile', 'status', 'mode', 'bucket', 'node', 'service', 'job']);

function run(script: string, args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  const r = spawnSync(script, args, { cwd: opts.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env }, encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('every plan in fixtures/plans', () => {
  it('there is one plan per seed, named for it', () => {
    expect(planFiles).toEqual([
      'seed-000-hestiastore-stages.yaml',
      'seed-001-stage-validation.yaml',
      'seed-002-dhash-guarded.yaml',
      'seed-003-instrument-registry.yaml',
      'seed-004-mes-dashboard-migration.yaml',
    ]);
  });

  it.each(planFiles)('%s loads without problems and cites its seed in its header', async (f) => {
    const p = await plan(f);
    expect(p.stages.length).toBeGreaterThan(0);
    const header = readFileSync(join(PLANS, f), 'utf8').split('\n').slice(0, 3).join('\n');
    const n = f.slice(5, 8);
    expect(header).toMatch(new RegExp(`^# Seed ${n}: /work/shared/seeds/${n}_[0-9a-f]{16}\\.txt`));
  });

  it.each(planFiles)('%s runs only executable scripts that exist', async (f) => {
    const p = await plan(f);
    const list = argvs(p);
    expect(list.length).toBeGreaterThan(0);
    for (const { argv } of list) {
      const script = resolve(PLANS, argv[0]!);
      expect(script.startsWith(SCRIPTS), `${argv[0]} is a fixture script`).toBe(true);
      expect(() => accessSync(script, constants.X_OK), `${argv[0]} is executable`).not.toThrow();
    }
  });

  it.each(planFiles)('%s: every action step declares how it dry-runs', async (f) => {
    const p = await plan(f);
    for (const s of p.stages) {
      for (const a of [s.promote, s.rollback]) {
        if (!a) continue;
        if ('run' in a) expect(a.dryRun).toEqual(['--dry-run']);
        if ('http' in a) expect(a.http.dryRun).toBe(false);
        if ('steps' in a) for (const st of a.steps) expect(st.run ? Array.isArray(st.dryRun) : st.http?.dryRun === false, `${s.id}: ${st.name}`).toBe(true);
      }
    }
  });

  it.each(planFiles)('%s: PromQL uses only the simulated fleet\'s metric names', async (f) => {
    const p = await plan(f);
    const queries = [...allGates(p).map((g) => g.query), ...allGates(p).map((g) => g.cardinality?.metric)].filter((q): q is string => !!q);
    for (const q of queries) {
      const words = q.replace(/"[^"]*"/g, '').match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
      const metrics = words.filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w) && !/^[smhd]$/.test(w));
      expect(metrics.length, q).toBeGreaterThan(0);
      for (const m of metrics) expect(FLEET_METRICS.has(m), `${m} in ${q}`).toBe(true);
    }
    if (queries.length > 0) expect(p.prometheus?.url).toBe('http://127.0.0.1:9090');
    for (const n of p.nodes) expect(n.url).toMatch(/^http:\/\/127\.0\.0\.1:1808\d$/);
  });

  it.each(planFiles)('%s: evidence reports exist and the checked-in ones pass their thresholds', async (f) => {
    const p = await plan(f);
    for (const g of allGates(p).filter((x) => x.evidence)) {
      const doc = JSON.parse(readFileSync(resolve(PLANS, g.evidence!.file), 'utf8')) as unknown;
      const value = getPath(doc, g.evidence!.field);
      expect(typeof value, `${g.id}: ${g.evidence!.field}`).toBe('number');
      const baseline = g.baseline?.field ? getPath(doc, g.baseline.field) : undefined;
      if (g.baseline?.field) expect(typeof baseline, `${g.id}: ${g.baseline.field}`).toBe('number');
      for (const t of g.fail!) expect(breaches(t, value as number, baseline as number | undefined), `${g.id} ${t.text}`).toBe(false);
    }
  });
});

describe('seed 000: HestiaStore stages A-D', () => {
  it('each stage runs the seed\'s test command and rolls back to the stage before it', async () => {
    const p = await plan('seed-000-hestiastore-stages.yaml');
    expect(p.stages.map((s) => s.id)).toEqual(['stage-a', 'stage-b', 'stage-c', 'stage-d']);
    expect(p.prometheus).toBeUndefined();
    const cmd = (id: string) => gate(p, id).command!.run.slice(1).join(' ');
    expect(cmd('snapshot-concurrency-test')).toBe('-pl engine test -Dtest=IntegrationSegmentIndexMetricsSnapshotConcurrencyTest');
    expect(cmd('prometheus-exporter-test')).toBe('-pl monitoring-prometheus test -Dtest=HestiaStorePrometheusExporterTest');
    expect(cmd('management-agent-tests')).toBe('-pl monitoring-rest-json test -Dtest=ManagementAgentServerTest,ManagementAgentServerSecurityTest');
    expect(cmd('console-web-tests')).toBe('-pl monitoring-console-web test');
    const rollbackTo = p.stages.map((s) => (s.rollback && 'run' in s.rollback ? s.rollback.run.slice(1).join(' ') : ''));
    expect(rollbackTo).toEqual(['--to none', '--to A', '--to B', '--to C']);
  });

  it('the +3% perf budget is a relative threshold against the report\'s baseline field', async () => {
    const g = gate(await plan('seed-000-hestiastore-stages.yaml'), 'getput-perf-budget');
    expect(gateKind(g)).toBe('evidence');
    expect(g.fail).toEqual([{ op: '>', value: 3, relative: true, text: '> +3%' }]);
    expect(g.baseline).toEqual({ field: 'getPut.baselineNsPerOp' });
    // 1000 ns baseline: 1030 is inside the budget, 1031 is over it.
    expect(breaches(g.fail![0]!, 1030, 1000)).toBe(false);
    expect(breaches(g.fail![0]!, 1031, 1000)).toBe(true);
  });
});

describe('seed 001: stage validation', () => {
  it('alert thresholds hold plan-wide, with the seed\'s own queries', async () => {
    const p = await plan('seed-001-stage-validation.yaml');
    expect(p.mode).toBe('enforce');
    expect(p.stages.map((s) => s.id)).toEqual(['staging-warn', 'prod-canary-warn', 'migration', 'enforce']);
    const err = gate(p, 'error-rate');
    expect(texts(err.fail)).toEqual(['>= 0.01']);
    expect(err.onFail).toBe('rollback');
    expect(err.query!.replace(/\s+/g, ' ')).toBe('sum(rate(stage_validation_errors_total[5m])) / sum(rate(stage_validation_validations_total[5m]))');
    const p99 = gate(p, 'p99-latency');
    expect(texts(p99.fail)).toEqual(['> 0.005', '> +10%']);
    expect(p99.baseline).toBeUndefined();
    expect(p99.query!.replace(/\s+/g, '')).toBe('histogram_quantile(0.99,sumby(le)(rate(stage_validation_duration_seconds_bucket[5m])))');
    expect(gate(p, 'helper-bucket-cardinality').cardinality).toEqual({ metric: 'helper_bucket_total', label: 'bucket', allowed: ['1', '2-5', '6-10', '11+'] });
  });

  it('header coverage >= 99% guards every warn stage, and enforce needs no active alerts', async () => {
    const p = await plan('seed-001-stage-validation.yaml');
    const coverage = (sid: string) => stage(p, sid).gates.filter((g) => g.query?.includes('stage_deprecation_header_emitted_total'));
    for (const sid of ['staging-warn', 'prod-canary-warn', 'migration']) {
      expect(coverage(sid).map((g) => texts(g.fail))).toEqual([['< 0.99']]);
      expect(coverage(sid)[0]!.onFail).toBe('rollback');
    }
    expect(coverage('enforce')).toEqual([]);
    const alerts = gate(p, 'no-active-alerts');
    expect(alerts.alert).toBe('*');
    expect(stage(p, 'enforce').gates).toContain(alerts);
  });

  it('migration invariants are evidence gates on the migration report', async () => {
    const p = await plan('seed-001-stage-validation.yaml');
    const ev = (id: string) => ({ field: gate(p, id).evidence!.field, fail: texts(gate(p, id).fail), baseline: gate(p, id).baseline });
    expect(ev('migration-row-counts')).toEqual({ field: 'rows.post', fail: ['!= +0%'], baseline: { field: 'rows.pre' } });
    expect(ev('migration-mapping-exhaustive')).toMatchObject({ field: 'mapping.unmapped', fail: ['> 0'] });
    expect(ev('migration-distribution-sums')).toMatchObject({ field: 'invariants.maxDistributionSumError', fail: ['> 1e-6'] });
    const sums = gate(p, 'migration-distribution-sums').fail![0]!;
    expect(breaches(sums, 1e-6)).toBe(false);
    expect(breaches(sums, 1.1e-6)).toBe(true);
    const rows = gate(p, 'migration-row-counts').fail![0]!;
    expect(breaches(rows, 12480, 12480)).toBe(false);
    expect(breaches(rows, 12479, 12480)).toBe(true);
  });

  it('the rollback playbook runs in the seed\'s order, "if needed" steps optional', async () => {
    const p = await plan('seed-001-stage-validation.yaml');
    for (const s of p.stages) {
      const list = steps(s.rollback);
      expect(list.map((st) => [st.run![0]!.replace('../scripts/', ''), st.optional])).toEqual([
        ['set_mode.sh', false],
        ['set_mode.sh', true],
        ['deploy_tag.sh', true],
        ['normalize_stages.sh', true],
        ['restore_snapshot.sh', true],
        ['post_incident_note.sh', false],
      ]);
      expect(list[0]!.run).toContain('warn');
      expect(list[1]!.run).toContain('off');
      expect(list[2]!.run).toContain('--previous');
    }
  });
});

describe('seed 002: dhash guarded rollout', () => {
  it('polls 30 s for 5 min, then 2 min, over a 60-minute window', async () => {
    const p = await plan('seed-002-dhash-guarded.yaml');
    expect(p.polling.window).toBe(60 * 60_000);
    expect(p.polling.phases).toEqual([{ for: 5 * 60_000, every: 30_000 }, { every: 2 * 60_000 }]);
  });

  it('quality gates match the production defaults', async () => {
    const p = await plan('seed-002-dhash-guarded.yaml');
    const summary = (id: string) => {
      const g = gate(p, id);
      return { fail: texts(g.fail), for: g.for, onFail: g.onFail };
    };
    expect(summary('extraction-failure-rate')).toEqual({ fail: ['> 0.05'], for: 10 * 60_000, onFail: 'rollback' });
    expect(summary('p95-hash-time')).toEqual({ fail: ['> 2'], for: 15 * 60_000, onFail: 'rollback' });
    expect(summary('low-confidence-queue')).toEqual({ fail: ['> 1000'], for: undefined, onFail: 'rollback' });
    expect(summary('memory-usage')).toEqual({ fail: ['> 0.85'], for: undefined, onFail: 'alert' });
    expect(summary('error-rate')).toEqual({ fail: ['> 0.03'], for: 5 * 60_000, onFail: 'alert' });
    const health = gate(p, 'health');
    expect(health.health).toEqual({ consecutiveFailures: 3, deep: false });
    expect(health.onFail).toBe('rollback');
    expect(gate(p, 'extraction-failure-rate').query).toBe('sum(rate(dhash_extraction_failures_total[10m])) / sum(rate(dhash_extractions_total[10m]))');
  });

  it('promote is backup, migrate, deploy (then smoke tests); rollback verifies the backup\'s SHA-256 first', async () => {
    const p = await plan('seed-002-dhash-guarded.yaml');
    const names = (list: ReturnType<typeof steps>) => list.map((st) => basename(st.run![0]!));
    expect(names(steps(stage(p, 'pre-deploy').promote))).toEqual(['backup_dhash.sh', 'migrate_dhash.sh', 'deploy_dhash.sh', 'smoke_tests.sh']);
    const rb = steps(stage(p, 'post-deploy').rollback);
    expect(names(rb)).toEqual(['verify_backup.sh', 'rollback_dhash.sh', 'smoke_tests.sh']);
    expect(rb[0]!.precondition).toEqual({ sha256: 'backups/dhash_latest.zip' });
    expect(rb[1]!.precondition).toEqual({ sha256: 'backups/dhash_latest.zip' });
    expect(rb[1]!.run).toContain('--force');
  });

  it('notifies Slack, Teams, Discord and email, with the seed\'s JSONL fallback', async () => {
    const p = await plan('seed-002-dhash-guarded.yaml');
    expect(p.notify.map((n) => n.kind)).toEqual(['slack', 'teams', 'discord', 'email', 'file']);
    expect(p.notify.map((n) => n.urlEnv).filter(Boolean)).toEqual(['SLACK_WEBHOOK_URL', 'TEAMS_WEBHOOK_URL', 'DISCORD_WEBHOOK_URL']);
    expect(p.notify[3]).toMatchObject({ from: 'dhash-monitor@company.com', toEnv: 'EMAIL_TO' });
    expect(p.notify[4]!.path).toBe('monitor_logs/notification_fallback.jsonl');
  });
});

describe('seed 003: instrument registry', () => {
  it('evidence gates need 7/7 profiles, 7/7 planner and 21 in total', async () => {
    const p = await plan('seed-003-instrument-registry.yaml');
    const ev = (id: string) => [gate(p, id).evidence!.file, gate(p, id).evidence!.field, texts(gate(p, id).fail)[0]];
    const report = 'evidence/subscription_management_test_report.json';
    expect(ev('profiles-tests')).toEqual([report, 'suites.subscription_profiles.passed', '< 7']);
    expect(ev('planner-tests')).toEqual([report, 'suites.subscription_planner.passed', '< 7']);
    expect(ev('all-tests')).toEqual([report, 'summary.passed', '< 21']);
    expect(stage(p, 'staging').gates.filter((g) => g.manual).length).toBe(6);
  });

  it('alert gates name the rules in fixtures/prometheus-rules/seed-003.rules.yml; error/latency/memory thresholds', async () => {
    const p = await plan('seed-003-instrument-registry.yaml');
    const alertNames = p.gates.filter((g) => g.alert).map((g) => g.alert);
    expect(alertNames).toEqual(['ServiceDown', 'HighErrorRate', 'HighLatency', 'DualWriteFailure']);
    const rules = parseYaml(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; for: string }> }> };
    const defined = rules.groups.flatMap((g) => g.rules);
    expect(defined.map((r) => r.alert)).toEqual(alertNames);
    expect(defined.map((r) => r.for)).toEqual(['1m', '2m', '5m', '1m']);
    for (const r of defined) expect(r.expr).toContain('job="fleet"');
    expect([texts(gate(p, 'error-rate').fail), gate(p, 'error-rate').onFail, gate(p, 'error-rate').mode]).toEqual([['> 0.01'], 'alert', undefined]);
    expect([texts(gate(p, 'p95-latency').fail), gate(p, 'p95-latency').mode]).toEqual([['> 0.5'], 'warn']);
    expect([texts(gate(p, 'memory-usage').fail), gate(p, 'memory-usage').mode]).toEqual([['> 314572800'], 'warn']);
  });

  it.skipIf(!existsSync('/usr/bin/promtool'))('the alert rules file is valid for promtool', () => {
    const r = spawnSync('/usr/bin/promtool', ['check', 'rules', RULES], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout + r.stderr).toContain('SUCCESS: 4 rules found');
    expect(r.status).toBe(0);
  });

  it('promote enables dual-write over HTTP with the key from the environment; rollback disables it, stops, verifies', async () => {
    const p = await plan('seed-003-instrument-registry.yaml');
    const promote = steps(stage(p, 'staging').promote);
    const toggle = promote[promote.length - 1]!.http!;
    expect(toggle).toMatchObject({
      method: 'POST',
      url: 'http://127.0.0.1:18081/api/v1/internal/instrument-registry/actuator/toggle-dual-write',
      headers: { 'X-Internal-API-Key': { env: 'INSTRUMENT_REGISTRY_API_KEY' } },
      body: { enabled: true },
    });
    for (const sid of ['production-canary', 'production']) {
      const rb = steps(stage(p, sid).rollback);
      expect(rb[0]!.http).toMatchObject({ url: toggle.url, body: { enabled: false }, headers: { 'X-Internal-API-Key': { env: 'INSTRUMENT_REGISTRY_API_KEY' } } });
      expect(rb[1]!.run!.slice(1)).toEqual(['-f', 'docker-compose.production.yml', 'stop', 'instrument-registry']);
      expect(rb[2]!.run!.slice(1)).toEqual(['rollback-check']);
    }
    expect(p.stages.map((s) => s.bake)).toEqual([30 * 60_000, 5 * 60_000, 2 * 3_600_000]);
  });
});

describe('seed 004: MES dashboard migration', () => {
  it('health fields, watchdog churn and the seed\'s thresholds', async () => {
    const p = await plan('seed-004-mes-dashboard-migration.yaml');
    const hf = (id: string) => {
      const g = gate(p, id);
      return [g.healthField, texts(g.fail), g.for, g.forProbes, g.onFail];
    };
    expect(hf('degraded-reason')).toEqual(['degraded_reason', ["!= ''"], 5 * 60_000, undefined, 'rollback']);
    expect(hf('pool-saturation')).toEqual(['database_pool.state.saturation', ['>= 0.90'], undefined, 3, 'block']);
    expect(hf('policy-blocked')).toEqual(['resilience.policy_state.blocked', ['== true'], undefined, undefined, 'block']);
    expect(hf('restart-blocked')).toEqual(['resilience.alerts.restart_blocked', ['== true'], undefined, undefined, 'block']);
    const churn = gate(p, 'watchdog-restart-churn');
    expect([churn.query, churn.reduce, texts(churn.fail)]).toEqual(['increase(watchdog_restarts_total[10m])', 'sum', ['>= 3']]);
    expect(breaches(gate(p, 'degraded-reason').fail![0]!, '')).toBe(false);
    expect(breaches(gate(p, 'degraded-reason').fail![0]!, 'redis unavailable')).toBe(true);
  });

  it('build/test command gates, and the stop/restore/start/validate rollback', async () => {
    const p = await plan('seed-004-mes-dashboard-migration.yaml');
    expect(gate(p, 'frontend-build').command!.run.slice(1)).toEqual(['--prefix', 'frontend', 'run', 'build']);
    expect(gate(p, 'runtime-contract').command).toMatchObject({ run: ['../scripts/start_server.sh', 'check'], env: { RUNTIME_CONTRACT_ENFORCE: 'true' } });
    const rb = steps(stage(p, 'post-deploy').rollback);
    expect(rb.map((s) => [basename(s.run![0]!), s.run![1], s.optional])).toEqual([
      ['start_server.sh', 'stop', false],
      ['restore_build.sh', '--release', false],
      ['start_server.sh', 'start', false],
      ['systemctl.sh', 'restart', true],
      ['smoke_tests.sh', '--env', false],
    ]);
    expect(stage(p, 'post-deploy').gates.filter((g) => g.manual).length).toBeGreaterThanOrEqual(4);
  });
});

describe('fixture scripts', () => {
  it('record a marker line with their name, args, action and stage, and exit with FAIL_<NAME>', () => {
    const cwd = tmp();
    const markers = join(cwd, 'm');
    const env = { FLIGHTDECK_MARKER_DIR: markers, FLIGHTDECK_ACTION: 'promote', FLIGHTDECK_STAGE: 'canary' };
    expect(run(join(SCRIPTS, 'deploy_dhash.sh'), ['--env', 'production'], { cwd, env }).code).toBe(0);
    expect(readFileSync(join(markers, 'state.dhash_release.production'), 'utf8')).toBe('deployed\n');
    const failed = run(join(SCRIPTS, 'deploy_dhash.sh'), ['--env', 'staging'], { cwd, env: { ...env, FAIL_DEPLOY_DHASH: '7' } });
    expect(failed.code).toBe(7);
    expect(existsSync(join(markers, 'state.dhash_release.staging'))).toBe(false);
    expect(run(join(SCRIPTS, 'docker-compose.sh'), ['-f', 'x.yml', 'stop', 'svc'], { cwd, env: { ...env, FAIL_DOCKER_COMPOSE: '1' } }).code).toBe(1);
    expect(readFileSync(join(markers, 'markers.log'), 'utf8').split('\n').filter(Boolean)).toEqual([
      'deploy_dhash.sh mode=run exit=0 action=promote stage=canary args=--env production',
      'deploy_dhash.sh mode=run exit=7 action=promote stage=canary args=--env staging',
      'docker-compose.sh mode=run exit=1 action=promote stage=canary args=-f x.yml stop svc',
    ]);
    expect(readFileSync(join(markers, 'deploy_dhash.sh.marker'), 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('the marker directory defaults to ./monitor_logs', () => {
    const cwd = tmp();
    expect(run(join(SCRIPTS, 'smoke_tests.sh'), ['--env', 'production'], { cwd }).code).toBe(0);
    expect(readFileSync(join(cwd, 'monitor_logs', 'markers.log'), 'utf8')).toBe('smoke_tests.sh mode=run exit=0 action= stage= args=--env production\n');
  });

  it('backups carry a SHA-256 that verify_backup.sh checks for real; rollback needs --force', () => {
    const cwd = tmp();
    const env = { FLIGHTDECK_MARKER_DIR: join(cwd, 'm') };
    expect(run(join(SCRIPTS, 'backup_dhash.sh'), ['--env', 'production'], { cwd, env }).code).toBe(0);
    const sum = readFileSync(join(cwd, 'backups', 'dhash_latest.zip.sha256'), 'utf8');
    expect(sum).toMatch(/^[0-9a-f]{64} {2}dhash_latest\.zip\n$/);
    expect(run(join(SCRIPTS, 'verify_backup.sh'), ['--backup', 'backups/dhash_latest.zip'], { cwd, env }).code).toBe(0);
    expect(run(join(SCRIPTS, 'rollback_dhash.sh'), ['--backup', 'backups/dhash_latest.zip', '--env', 'production'], { cwd, env }).code).toBe(3);
    expect(run(join(SCRIPTS, 'rollback_dhash.sh'), ['--backup', 'backups/dhash_latest.zip', '--env', 'production', '--force'], { cwd, env }).code).toBe(0);

    expect(run(join(SCRIPTS, 'backup_dhash.sh'), ['--env', 'production'], { cwd, env: { ...env, CORRUPT_BACKUP: '1' } }).code).toBe(0);
    const bad = run(join(SCRIPTS, 'verify_backup.sh'), ['--backup', 'backups/dhash_latest.zip'], { cwd, env });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('does not match');
  });

  it('test stand-ins read pass/fail from the environment', () => {
    const cwd = tmp();
    const env = { FLIGHTDECK_MARKER_DIR: join(cwd, 'm') };
    const mvn = join(SCRIPTS, 'mvn.sh');
    const args = ['-pl', 'monitoring-rest-json', 'test', '-Dtest=ManagementAgentServerTest,ManagementAgentServerSecurityTest'];
    expect(run(mvn, args, { cwd, env }).code).toBe(0);
    expect(run(mvn, args, { cwd, env: { ...env, MVN_FAIL_TESTS: 'ManagementAgentServerSecurityTest' } }).code).toBe(1);
    expect(run(mvn, args, { cwd, env: { ...env, MVN_FAIL_MODULES: 'engine' } }).code).toBe(0);
    expect(run(mvn, ['-pl', 'engine', 'test'], { cwd, env: { ...env, MVN_FAIL_MODULES: 'engine' } }).code).toBe(1);
    expect(run(join(SCRIPTS, 'python3.sh'), ['test_search_api_real.py'], { cwd, env: { ...env, PYTHON3_FAIL_TESTS: 'test_search_api_real.py' } }).code).toBe(1);
    expect(run(join(SCRIPTS, 'pytest.sh'), ['-k', 'health'], { cwd, env: { ...env, PYTEST_FAILURES: '2' } }).stdout).toContain('40 passed, 2 failed');
    expect(run(join(SCRIPTS, 'run_verification_suite.sh'), ['staging'], { cwd, env: { ...env, VERIFY_FAILING: 'Monitoring' } }).code).toBe(1);
    expect(run(join(SCRIPTS, 'start_server.sh'), ['check'], { cwd, env: { ...env, CONTRACT_DRIFT: '1' } }).code).toBe(0);
    expect(run(join(SCRIPTS, 'start_server.sh'), ['check'], { cwd, env: { ...env, CONTRACT_DRIFT: '1', RUNTIME_CONTRACT_ENFORCE: 'true' } }).code).toBe(1);
  });

  it.each(planFiles)('%s: every command gate passes by default and fails when its FAIL_<NAME> is set', async (f) => {
    const p = await plan(f);
    const cwd = tmp();
    for (const g of allGates(p).filter((x) => x.command)) {
      const script = resolve(PLANS, g.command!.run[0]!);
      const env = { FLIGHTDECK_MARKER_DIR: cwd, ...g.command!.env };
      expect(run(script, g.command!.run.slice(1), { cwd: PLANS, env }).code, g.id).toBe(0);
      const name = basename(script).replace(/\.sh$/, '').toUpperCase().replace(/[^A-Z0-9]/g, '_');
      expect(run(script, g.command!.run.slice(1), { cwd: PLANS, env: { ...env, [`FAIL_${name}`]: '1' } }).code, g.id).toBe(1);
    }
  });

  it.each(planFiles)('%s: every action step under --dry-run writes a dry-run marker and changes nothing', async (f) => {
    const p = await plan(f);
    const cwd = tmp();
    const markers = join(cwd, 'm');
    // The rollback of seed 002 verifies a real backup: make one first (it lives in cwd/backups).
    expect(run(join(SCRIPTS, 'backup_dhash.sh'), ['--env', 'production'], { cwd, env: { FLIGHTDECK_MARKER_DIR: join(cwd, 'setup') } }).code).toBe(0);
    const withDry = argvs(p).filter((a) => Array.isArray(a.dryRun));
    expect(withDry.length).toBeGreaterThan(0);
    for (const a of withDry) {
      const r = run(resolve(PLANS, a.argv[0]!), [...a.argv.slice(1), ...(a.dryRun as string[])], { cwd, env: { FLIGHTDECK_MARKER_DIR: markers, ...a.env } });
      expect(r.code, a.argv.join(' ')).toBe(0);
      expect(r.stdout, a.argv.join(' ')).toMatch(/\[dry-run\] would|verified/);
    }
    const lines = readFileSync(join(markers, 'markers.log'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(withDry.length);
    for (const l of lines) expect(l).toMatch(/ mode=dry-run exit=0 /);
    expect(readdirSync(markers).filter((n) => n.startsWith('state.') || /^post_incident_\d/.test(n))).toEqual([]);
    expect(readdirSync(join(cwd, 'backups')).length).toBe(4);
  });
});
