/**
 * promlite's PromQL parser (every query the seed plans and rules use parses;
 * bad and unsupported syntax is refused with Prometheus's wording), the text
 * exposition parser, and number/time formatting as Prometheus 2.42 writes it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { QueryError } from '../../src/demo/promlite/errors.js';
import { ExpositionError, parseExposition } from '../../src/demo/promlite/exposition.js';
import { formatAlertValue, formatGoDefault, formatRfc3339, formatSampleValue, formatTimestamp } from '../../src/demo/promlite/format.js';
import { parseExpr, typeOf } from '../../src/demo/promlite/parse.js';
import { parseRules, RuleFileError } from '../../src/demo/promlite/rules.js';
import { expandTemplate } from '../../src/demo/promlite/template.js';

const ROOT = join(import.meta.dirname, '../..');

function parseError(query: string): QueryError {
  try {
    parseExpr(query);
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).type).toBe('bad_data');
    return err as QueryError;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be refused`);
}

/** Every `query:` of every seed plan. */
function planQueries(): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'query' && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  const dir = join(ROOT, 'fixtures/plans');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) walk(parseYaml(readFileSync(join(dir, f), 'utf8')));
  return out;
}

describe('PromQL parser', () => {
  it('parses every query of the seed plans into an instant vector', () => {
    const queries = planQueries();
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const q of queries) expect(typeOf(parseExpr(q)), q).toBe('vector');
  });

  it('parses the seed 003 rule file', () => {
    const groups = parseRules(readFileSync(join(ROOT, 'fixtures/prometheus-rules/seed-003.rules.yml'), 'utf8'));
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name)).toEqual(['ServiceDown', 'HighErrorRate', 'HighLatency', 'DualWriteFailure']);
    expect(rules.map((r) => (r.kind === 'alert' ? r.forMs : -1))).toEqual([60_000, 120_000, 300_000, 60_000]);
  });

  it('words syntax errors as Prometheus does, with line:column', () => {
    expect(parseError('sum(app_queue_depth').message).toBe('1:20: parse error: unclosed left parenthesis');
    expect(parseError('foo)').message).toBe("1:4: parse error: unexpected right parenthesis ')'");
    expect(parseError('').message).toBe('1:1: parse error: no expression found in input');
    expect(parseError('rate(foo)').message).toBe('1:6: parse error: expected type range vector in call to function "rate", got instant vector');
    expect(parseError('sum(foo[5m])').message).toBe('1:5: parse error: expected type instant vector in aggregation expression, got range vector');
    expect(parseError('1 > 2').message).toBe('1:3: parse error: comparisons between scalars must use BOOL modifier');
    expect(parseError('{a=""}').message).toBe('1:1: parse error: vector selector must contain at least one non-empty matcher');
    expect(parseError('foo{__name__="bar"}').message).toBe('1:1: parse error: metric name must not be set twice: "foo" or "bar"');
    expect(parseError('bar(x)').message).toBe('1:1: parse error: unknown function with name "bar"');
    expect(parseError('foo and 1').message).toBe('1:1: parse error: set operator "and" not allowed in binary scalar expression');
    expect(parseError('5m').message).toBe('1:1: parse error: unexpected duration "5m"');
    expect(parseError('rate(foo[5m]) offset 1m').message).toBe(
      '1:15: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    );
    expect(parseError('"a\\qb"').message).toBe("1:1: parse error: unknown escape sequence U+0071 'q'");
    expect(parseError('1 + bool 2').message).toBe('1:3: parse error: bool modifier can only be used on comparison operators');
    expect(parseError('foo[0s]').message).toBe('1:5: parse error: duration must be greater than 0');
    expect(parseError(' 1 +').message).toBe('1:5: parse error: unexpected end of input');
    expect(parseError('sum(x)\n  / (y').message).toBe('2:7: parse error: unclosed left parenthesis');
  });

  it('refuses what promlite does not implement, saying so, instead of answering wrongly', () => {
    expect(parseError('foo[5m:1m]').message).toContain('subqueries are not supported by promlite');
    expect(parseError('foo @ 100').message).toContain('the @ modifier is not supported by promlite');
    expect(parseError('a / on(x) group_left b').message).toContain('group_left (many-to-one matching) is not supported by promlite');
    expect(parseError('topk(3, foo)').message).toContain('aggregation "topk" is not supported by promlite');
    expect(parseError('label_replace(up, "a", "b", "c", "d")').message).toContain('function "label_replace" is not supported by promlite');
    expect(parseError('foo offset -1m').message).toContain('negative offsets are not supported by promlite');
  });

  it('reads numbers, strings and durations like PromQL', () => {
    expect(parseExpr('0x1F')).toMatchObject({ kind: 'number', value: 31 });
    expect(parseExpr('1.5e3')).toMatchObject({ kind: 'number', value: 1500 });
    expect(parseExpr('-Inf')).toMatchObject({ kind: 'number', value: -Infinity });
    expect(parseExpr('"a\\n\\"b\\u00e9"')).toMatchObject({ kind: 'string', value: 'a\n"bé' });
    expect(parseExpr('`raw\\n`')).toMatchObject({ kind: 'string', value: 'raw\\n' });
    expect(parseExpr('foo[1h30m]')).toMatchObject({ kind: 'matrixSelector', rangeMs: 5_400_000 });
    expect(parseExpr('foo # a comment\n + 1')).toMatchObject({ kind: 'binary', op: '+' });
    expect(parseError('foo[30m1h]').message).toContain('not a valid duration string');
    expect(parseError('foo[30m1h]').message).toBe('1:5: parse error: not a valid duration string: "30m1h"');
    expect(parseError('foo[1m1m]').message).toBe('1:5: parse error: not a valid duration string: "1m1m"');
    expect(parseExpr('foo[1m1ms]')).toMatchObject({ kind: 'matrixSelector', rangeMs: 60_001 });
    expect(parseExpr('foo[1y2w3d]')).toMatchObject({ kind: 'matrixSelector', rangeMs: 31_536_000_000 + 2 * 604_800_000 + 3 * 86_400_000 });
  });
});

describe('rule files', () => {
  it('names the group and rule of a bad expression or duration', () => {
    const bad = (text: string): string => {
      try {
        parseRules(text);
      } catch (err) {
        expect(err).toBeInstanceOf(RuleFileError);
        return (err as Error).message;
      }
      throw new Error('expected a RuleFileError');
    };
    expect(bad('groups: [{ name: g, rules: [{ alert: A, expr: "sum(x" }] }]')).toBe(
      'group "g", rule 1 (alert A): could not parse expression: 1:6: parse error: unclosed left parenthesis',
    );
    expect(bad('groups: [{ name: g, rules: [{ alert: A, expr: "x", for: 5 minutes }] }]')).toContain('group "g", rule 1 (alert A): for: not a valid duration string');
    expect(bad('groups: [{ name: g, rules: [{ expr: "x" }] }]')).toContain("one of 'record' or 'alert' must be set");
    expect(bad('groups: [{ name: g, rules: [] }, { name: g, rules: [] }]')).toBe('groupname: "g" is repeated in the same file');
    expect(bad('groups: [{ name: g, rules: [{ alert: A, expr: x, severity: page }] }]')).toContain('rule file: groups.0.rules.0');
  });
});

describe('alert templates', () => {
  const data = { labels: { instance: '127.0.0.1:9', node: 'dhash-1' }, value: 0.042 };

  it('expands $labels, $value and pipes', () => {
    expect(expandTemplate('{{ $labels.instance }} is down', data)).toBe('127.0.0.1:9 is down');
    expect(expandTemplate('5xx rate {{ $value }}/s on {{ $labels.node }}', data)).toBe('5xx rate 0.042/s on dhash-1');
    expect(expandTemplate('{{ .Value | humanizePercentage }}', data)).toBe('4.2%');
    expect(expandTemplate('{{ humanize 1234567 }}', data)).toBe('1.235M');
    expect(expandTemplate('{{ printf "%.2f" $value }}', data)).toBe('0.04');
    expect(expandTemplate('{{ $labels.missing }}', data)).toBe('<no value>');
    expect(expandTemplate('{{ $value }}', { labels: {}, value: 1234567 })).toBe('1.234567e+06');
  });

  it('shows an unsupported template as an expansion error', () => {
    expect(expandTemplate('{{ range $labels }}x{{ end }}', data)).toMatch(/^<error expanding template: /);
  });
});

describe('text exposition parser', () => {
  it('reads counters, gauges, histograms, escapes and timestamps', () => {
    const text = [
      '# HELP http_requests_total Requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{status="200",path="/a\\"b\\\\c\\nd"} 1027 1395066363000',
      '# TYPE temp gauge',
      'temp -3.5',
      '# TYPE lat histogram',
      'lat_bucket{le="0.05"} 24054',
      'lat_bucket{le="+Inf",} 144320',
      'lat_sum 53423',
      'lat_count 144320',
      'weird{a="x"} NaN',
      'inf_one +Inf',
      '',
    ].join('\n');
    const { samples, types } = parseExposition(text);
    expect(types.get('http_requests_total')).toBe('counter');
    expect(types.get('lat')).toBe('histogram');
    expect(samples[0]).toEqual({ name: 'http_requests_total', labels: { status: '200', path: '/a"b\\c\nd' }, value: 1027, timestamp: 1395066363000 });
    expect(samples.map((s) => s.name)).toEqual(['http_requests_total', 'temp', 'lat_bucket', 'lat_bucket', 'lat_sum', 'lat_count', 'weird', 'inf_one']);
    expect(samples[3]!.labels).toEqual({ le: '+Inf' });
    expect(samples[6]!.value).toBeNaN();
    expect(samples[7]!.value).toBe(Infinity);
  });

  it('refuses a malformed line with its number', () => {
    expect(() => parseExposition('ok 1\nbad{a="x" 1\n')).toThrow(ExpositionError);
    expect(() => parseExposition('ok 1\nbad{a="x" 1\n')).toThrow(/^line 2: /);
    expect(() => parseExposition('x one')).toThrow(/invalid value "one"/);
    expect(() => parseExposition('x{a="1",a="2"} 1')).toThrow(/duplicate label a/);
  });
});

describe('formatting like the Prometheus API', () => {
  it('writes sample values in Go\'s shortest f form', () => {
    // Each pair checked against a real Prometheus 2.42.
    expect(formatSampleValue(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatSampleValue(1e-7)).toBe('0.0000001');
    expect(formatSampleValue(-1e-7)).toBe('-0.0000001');
    expect(formatSampleValue(1e21)).toBe('1000000000000000000000');
    expect(formatSampleValue(123456789012345678901234)).toBe('123456789012345690000000');
    expect(formatSampleValue(NaN)).toBe('NaN');
    expect(formatSampleValue(Infinity)).toBe('+Inf');
    expect(formatSampleValue(-Infinity)).toBe('-Inf');
    expect(formatSampleValue(-0)).toBe('-0');
  });

  it('writes times as seconds with ms precision, alert values in %e, RFC 3339 trimmed', () => {
    expect(formatTimestamp(1_795_405_269_536)).toBe('1795405269.536');
    expect(formatTimestamp(1_767_225_600_500)).toBe('1767225600.5');
    expect(formatTimestamp(1_000_000)).toBe('1000');
    expect(formatAlertValue(0.042)).toBe('4.2e-02');
    expect(formatAlertValue(3)).toBe('3e+00');
    expect(formatGoDefault(0.042)).toBe('0.042');
    expect(formatGoDefault(0.00001)).toBe('1e-05');
    expect(formatRfc3339(Date.UTC(2026, 10, 23, 3, 41, 7, 730))).toBe('2026-11-23T03:41:07.73Z');
    expect(formatRfc3339(Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:00:00Z');
  });
});

describe('one PromQL grammar', () => {
  it('nothing outside the demo imports promlite (the core parses with @prometheus-io/lezer-promql itself)', () => {
    const offenders: string[] = [];
    for (const top of ['src', 'checks', 'components', 'bin']) {
      for (const f of readdirSync(join(ROOT, top), { recursive: true, encoding: 'utf8' })) {
        const path = `${top}/${f}`;
        if (!/\.(ts|tsx|mjs|js)$/.test(path) || path.startsWith('src/demo/')) continue;
        const text = readFileSync(join(ROOT, path), 'utf8');
        for (const m of text.matchAll(/from '([^']*promlite[^']*)'/g)) offenders.push(`${path}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
