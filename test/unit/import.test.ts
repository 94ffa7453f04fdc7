/**
 * The importers: each writes a plan that loads back through the plan loader
 * (what `validate` runs), with the gates its input means and a NOTE for each
 * field it could not map. Inputs are real-world shaped: Argo Rollouts' own
 * docs, seed 003's alert rules, seed 002's quality-gates-config.json.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { badWhen, parseCondition } from '../../src/import/argo-condition.js';
import { importArgo } from '../../src/import/argo.js';
import { importToText } from '../../src/import/cli.js';
import { importDhash } from '../../src/import/dhash.js';
import { importPrometheusRules } from '../../src/import/prometheus-rules.js';
import { splitComparison } from '../../src/import/promql-split.js';
import { renderImport, type ImportResult } from '../../src/import/render.js';
import { parsePlanText } from '../../src/plan/load.js';
import type { GateSpec, Plan } from '../../src/plan/schema.js';

const fixture = (p: string) => readFileSync(resolve('fixtures', p), 'utf8');

function load(r: ImportResult): { plan: Plan; text: string } {
  const text = renderImport(r);
  return { plan: parsePlanText(text, 'imported.yaml', process.cwd()).plan, text };
}
const gate = (p: Plan, id: string): GateSpec => {
  const g = p.stages.flatMap((s) => s.gates).find((x) => x.id === id);
  if (!g) throw new Error(`no gate ${id} in ${p.stages.flatMap((s) => s.gates).map((x) => x.id).join(', ')}`);
  return g;
};

describe('import argo', () => {
  const r = importArgo(fixture('import/argo-analysis-templates.yaml'), { sourceName: 'argo.yaml', args: { 'service-name': 'checkout' } });
  const { plan, text } = load(r);

  it('turns the docs\' success-rate template into a gate that fails below 0.95 after more than failureLimit breaches', () => {
    const g = gate(plan, 'success-rate');
    expect(g.query).toContain('destination_service=~"checkout"');
    expect(g.query).not.toContain('{{');
    expect(g.fail?.map((t) => t.text)).toEqual(['< 0.95']);
    expect(g.reduce).toBe('min');
    expect(g.forProbes).toBe(4);
    expect(g.onFail).toBe('rollback');
    expect(plan.prometheus?.url).toBe('http://prometheus.example.com:9090');
    expect(plan.prometheus?.timeout).toBe(40_000);
  });

  it('reads all(result, # < 1000) as "any series >= 1000" and notes the range query it cannot keep', () => {
    const g = gate(plan, 'range-query-example-success-rate');
    expect(g.query).toBe('http_latency_ms{service="checkout"}');
    expect(g.fail?.map((t) => t.text)).toEqual(['>= 1000']);
    expect(g.reduce).toBe('max');
    expect(text).toMatch(/rangeQuery not mapped/);
  });

  it('maps failureCondition to fail and successCondition to the warn band (Argo\'s inconclusive), count × interval to bake', () => {
    const g = gate(plan, 'guestbook-checks-success-rate');
    expect(g.fail?.map((t) => t.text)).toEqual(['< 0.5']);
    expect(g.warn?.map((t) => t.text)).toEqual(['< 0.9']);
    expect(plan.stages[0]!.bake).toBe(5 * 60_000);
    expect(text).toMatch(/inconclusiveLimit 2 not mapped/);
    expect(text).toMatch(/consecutiveErrorLimit 4 not mapped/);
  });

  it('puts a dryRun metric in warn mode and aborts the Rollout as its rollback', () => {
    expect(gate(plan, 'total-errors').mode).toBe('warn');
    expect(gate(plan, 'total-errors').fail?.map((t) => t.text)).toEqual(['>= 10']);
    expect(plan.stages[0]!.rollback).toMatchObject({ run: ['kubectl', 'argo', 'rollouts', 'abort', 'success-rate'] });
    expect(plan.polling.phases).toEqual([{ every: 60_000 }]);
  });

  it('says what it did not import: the web metric, the secret arg, the headers', () => {
    expect(r.skipped.map((s) => s.what)).toEqual(['ClusterAnalysisTemplate guestbook-checks, metric webmetric']);
    expect(text).toMatch(/NOT IMPORTED[\s\S]*webmetric: provider web is not Prometheus/);
    expect(text).toMatch(/arg api-token comes from a Kubernetes secret/);
    expect(text).toMatch(/headers X-Scope-OrgID not mapped/);
    expect(text).not.toContain('tenant_a');
  });

  it('leaves an arg without a value as written and says so', () => {
    const bare = importArgo(fixture('import/argo-analysis-templates.yaml'), { sourceName: 'argo.yaml' });
    const { plan: p, text: t } = load(bare);
    expect(gate(p, 'success-rate').query).toContain('{{args.service-name}}');
    expect(t).toMatch(/args without a value, left as written: service-name \(pass --arg NAME=VALUE\)/);
    // the ClusterAnalysisTemplate's own default is used
    expect(gate(p, 'total-errors').query).toContain('guestbook-svc.default.svc.cluster.local');
  });

  it('reads the condition shapes Argo users write, and refuses what it cannot map', () => {
    expect(badWhen(parseCondition('result[0] >= 0.95')!, 'success')).toEqual([{ op: '<', value: 0.95, quantifier: 'first' }]);
    expect(badWhen(parseCondition('0.95 <= result')!, 'success')).toEqual([{ op: '<', value: 0.95, quantifier: 'first' }]);
    expect(badWhen(parseCondition('result > 10 || result < 1')!, 'failure')).toHaveLength(2);
    expect(badWhen(parseCondition('result < 10 && result > 1')!, 'success')!.map((c) => c.op)).toEqual(['>=', '<=']);
    expect(badWhen(parseCondition('result > 10 && result < 20')!, 'failure')).toBeUndefined();
    expect(parseCondition('isNaN(result[0])')).toBeUndefined();
    expect(parseCondition("result == 'true'")).toBeUndefined();
  });

  it('refuses a file with no AnalysisTemplate', () => {
    expect(() => importArgo('kind: Rollout\nmetadata: { name: x }\n', { sourceName: 'r.yaml' })).toThrow(/no AnalysisTemplate/);
  });
});

describe('import prometheus-rules', () => {
  it('imports seed 003\'s alert rules as printed in the runbook (a bare list of groups)', () => {
    const r = importPrometheusRules(fixture('import/seed-003-alert-rules.yml'), { sourceName: 'seed-003', service: 'instrument-registry' });
    const { plan, text } = load(r);
    expect(plan.stages[0]!.gates.map((g) => g.id)).toEqual(['service-down', 'high-error-rate', 'high-latency', 'dual-write-failure']);
    const down = gate(plan, 'service-down');
    expect(down.query).toBe('count(up{job="instrument_registry"} == 0) or vector(0)');
    expect(down.fail?.map((t) => t.text)).toEqual(['> 0']);
    expect(down.for).toBe(60_000);
    const err = gate(plan, 'high-error-rate');
    expect(err.query).toBe('rate(instrument_registry_http_requests_total{status=~"5.."}[5m])');
    expect(err.fail?.map((t) => t.text)).toEqual(['> 0.01']);
    expect(err.reduce).toBe('max');
    expect(err.for).toBe(120_000);
    expect(gate(plan, 'high-latency').query).toBe('histogram_quantile(0.95, rate(instrument_registry_http_request_duration_seconds_bucket[5m]))');
    expect(gate(plan, 'high-latency').for).toBe(300_000);
    expect(gate(plan, 'dual-write-failure').fail?.map((t) => t.text)).toEqual(['> 0']);
    expect(plan.stages[0]!.gates.every((g) => g.onFail === 'alert')).toBe(true);
    expect(text).toMatch(/bare list of groups/);
    expect(text).toMatch(/no severity label → onFail: alert/);
  });

  it('maps severity and annotations of a full rule file and lists recording rules', () => {
    const rules = `${fixture('prometheus-rules/seed-003.rules.yml')}
  - name: recorded
    interval: 30s
    rules:
      - record: job:errors:rate5m
        expr: sum(rate(instrument_registry_http_requests_total{status=~"5.."}[5m]))
      - alert: TooManyErrors
        expr: 0.5 < job:errors:rate5m and on() vector(1)
        keep_firing_for: 5m
        labels: { severity: page, team: registry }
`;
    const r = importPrometheusRules(rules, { sourceName: 'rules.yml', service: 'instrument-registry', prometheusUrl: 'http://127.0.0.1:9090' });
    const { plan, text } = load(r);
    expect(gate(plan, 'service-down').onFail).toBe('block');
    expect(gate(plan, 'high-latency').onFail).toBe('alert');
    expect(gate(plan, 'service-down').description).toBe('{{ $labels.instance }} is down');
    const many = gate(plan, 'too-many-errors');
    expect(many.query).toBe('count(0.5 < job:errors:rate5m and on() vector(1)) or vector(0)');
    expect(text).toMatch(/recording rules, not gates[\s\S]*job:errors:rate5m = sum\(rate/);
    expect(text).toMatch(/keep_firing_for: 5m not mapped/);
    expect(text).toMatch(/labels team=registry not mapped/);
    expect(text).toMatch(/group recorded: interval 30s not mapped/);
  });

  it('reads a rule\'s for: in Prometheus\'s compound form (1h30m, 1m30s), as Prometheus does', () => {
    const rules = `groups:
  - name: g
    rules:
      - alert: SlowBurn
        expr: rate(errors_total[5m]) > 0.01
        for: 1h30m
        labels: { severity: page }
      - alert: Quick
        expr: rate(errors_total[1m]) > 0.1
        for: 1m30s
        labels: { severity: page }
`;
    const r = importPrometheusRules(rules, { sourceName: 'rules.yml', service: 'svc', prometheusUrl: 'http://127.0.0.1:9090' });
    const { plan, text } = load(r);
    expect(gate(plan, 'slow-burn').for).toBe(90 * 60_000);
    expect(gate(plan, 'quick').for).toBe(90_000);
    expect(text).not.toMatch(/is not a duration Flightdeck reads/);
  });

  it('splits at the outermost comparison only', () => {
    expect(splitComparison('rate(x{a=">"}[5m]) > 0.01')).toEqual({ query: 'rate(x{a=">"}[5m])', op: '>', value: 0.01 });
    expect(splitComparison('0.5 < y')).toEqual({ query: 'y', op: '>', value: 0.5 });
    expect(splitComparison('(a > 1) > 2')).toEqual({ query: '(a > 1)', op: '>', value: 2 });
    expect(splitComparison('a > bool 1')).toBeUndefined();
    expect(splitComparison('a > 1 and b < 2')).toBeUndefined();
    expect(splitComparison('a > b')).toBeUndefined();
    expect(splitComparison('up')).toBeUndefined();
  });
});

describe('import dhash', () => {
  it('imports seed 002\'s config as printed: its polling and the health gate', () => {
    const r = importDhash(fixture('import/seed-002-quality-gates-config.json'), { sourceName: 'quality-gates-config.json' });
    const { plan, text } = load(r);
    expect(plan.environment).toBe('production');
    expect(plan.polling.window).toBe(60 * 60_000);
    expect(plan.polling.phases).toEqual([{ for: 5 * 60_000, every: 30_000 }, { every: 120_000 }]);
    const h = gate(plan, 'health');
    expect(h.health?.consecutiveFailures).toBe(3);
    expect(h.onFail).toBe('rollback');
    expect(plan.stages[0]!.rollback).toBeDefined();
    expect(text).toMatch(/nodes[\s\S]*placeholder/);
  });

  it('imports every production default of the seed, notes the other environment and the gate it has no metric for', () => {
    const r = importDhash(fixture('import/seed-002-quality-gates-config.full.json'), { sourceName: 'full.json', nodes: [{ name: 'dhash-1', url: 'http://10.0.0.1:8080' }] });
    const { plan, text } = load(r);
    const efr = gate(plan, 'extraction_failure_rate');
    expect(efr.fail?.map((t) => t.text)).toEqual(['> 0.05']);
    expect(efr.for).toBe(600_000);
    expect(efr.query).toContain('[10m]');
    expect(gate(plan, 'p95_hash_time').fail?.map((t) => t.text)).toEqual(['> 2']);
    expect(gate(plan, 'p95_hash_time').for).toBe(900_000);
    expect(gate(plan, 'low_confidence_queue').for).toBeUndefined();
    expect(gate(plan, 'memory_usage').fail?.map((t) => t.text)).toEqual(['> 0.85']);
    expect(gate(plan, 'memory_usage').onFail).toBe('alert');
    expect(gate(plan, 'error_rate').onFail).toBe('alert');
    expect(gate(plan, 'error_rate').for).toBe(300_000);
    expect(r.skipped.map((s) => s.what)).toEqual(['quality_gates.golden_payload_drift']);
    expect(text).toMatch(/environment\(s\) staging not in this plan: run again with --env staging/);
    expect(plan.nodes[0]!.url).toBe('http://10.0.0.1:8080');

    const staging = load(importDhash(fixture('import/seed-002-quality-gates-config.full.json'), { sourceName: 'full.json', env: 'staging' })).plan;
    expect(staging.environment).toBe('staging');
    expect(gate(staging, 'health').health?.consecutiveFailures).toBe(4);
    expect(gate(staging, 'health').onFail).toBe('alert');
    expect(staging.polling.phases).toEqual([{ for: 5 * 60_000, every: 15_000 }, { every: 60_000 }]);
  });

  it('refuses what is not its config, naming the file', () => {
    expect(() => importDhash('{"nope": 1}', { sourceName: 'x.json' })).toThrow(/x.json: expected \{ "environments"/);
    expect(() => importDhash('{', { sourceName: 'x.json' })).toThrow(/x.json: not JSON/);
  });
});

describe('import through the command\'s code path', () => {
  it('writes text that the plan loader accepts for each importer', async () => {
    for (const [kind, file] of [
      ['argo', 'fixtures/import/argo-analysis-templates.yaml'],
      ['prometheus-rules', 'fixtures/prometheus-rules/seed-003.rules.yml'],
      ['dhash', 'fixtures/import/seed-002-quality-gates-config.json'],
    ] as const) {
      const { text } = await importToText(kind, file, {});
      expect(() => parsePlanText(text, `${kind}.yaml`, process.cwd())).not.toThrow();
      expect(text).toMatch(/^# Imported by flightdeck import/);
    }
  });
});

describe('the import command', () => {
  it('writes --out, reports its counts, and exits 2 with the file named when the input is not its kind', async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runImport } = await import('../../src/import/cli.js');
    const dir = await mkdtemp(join(tmpdir(), 'fd-import-'));
    try {
      const err: string[] = [];
      const out: string[] = [];
      const code = await runImport('dhash', 'fixtures/import/seed-002-quality-gates-config.full.json', { out: join(dir, 'plan.yaml') }, (l) => err.push(l), (s) => out.push(s));
      expect(code).toBe(0);
      expect(out).toEqual([]);
      expect(err.join('\n')).toMatch(/plan\.yaml: 6 gate\(s\), \d+ note\(s\), 1 item\(s\) not imported — read the NOTEs/);
      expect(() => parsePlanText(readFileSync(join(dir, 'plan.yaml'), 'utf8'), 'plan.yaml', dir)).not.toThrow();
      expect(await readFile(join(dir, 'plan.yaml'), 'utf8')).toContain('# NOTE');

      const bad: string[] = [];
      expect(await runImport('argo', 'fixtures/import/seed-002-quality-gates-config.json', {}, (l) => bad.push(l), () => undefined)).toBe(2);
      expect(bad.join('\n')).toMatch(/^flightdeck import argo: seed-002-quality-gates-config\.json: no AnalysisTemplate/);
      expect(await runImport('argo', 'fixtures/import/argo-analysis-templates.yaml', { arg: ['novalue'] }, (l) => bad.push(l), () => undefined)).toBe(2);
      expect(bad.at(-1)).toMatch(/--arg novalue: expected NAME=VALUE/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
