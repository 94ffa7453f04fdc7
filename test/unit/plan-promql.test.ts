import { describe, expect, it } from 'vitest';
import { promqlProblems, promqlSelectors, unquote } from '../../src/plan/promql.js';

const first = (q: string) => promqlProblems(q)[0];

describe('PromQL through Prometheus\'s grammar (@prometheus-io/lezer-promql)', () => {
  it('accepts what Prometheus accepts', () => {
    for (const q of [
      'up',
      'sum(rate(http_requests_total{job="api", code=~"5.."}[5m])) / sum(rate(http_requests_total{job="api"}[5m]))',
      'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))',
      'max_over_time(rate(x[1m])[10m:1m])',
      'sum(up) by (job) > bool 0 and on(job) group_left vector(1)',
      'rate(x[5m] offset 1h)',
      '{__name__="x", job="a"}',
      'quantile_over_time(0.9, x[5m]) # a comment',
      'x[5m]',
      '1 + 2',
    ]) {
      expect(promqlProblems(q), q).toEqual([]);
    }
  });

  it('syntax errors carry the offset of the offending token and say what is wrong', () => {
    expect(first('sum(rate(foo_total[5m]) /')).toEqual({ offset: 24, message: 'PromQL syntax error: the query ends after "/", which needs something after it; and the "(" at column 4 is never closed' });
    expect(first('rate(foo[5m')).toEqual({ offset: 8, message: 'PromQL syntax error: this "[" is never closed (expected "]")' });
    expect(first('foo(bar)')).toEqual({ offset: 0, message: 'PromQL syntax error: unknown function "foo"' });
    expect(first('up{job=a}')).toMatchObject({ offset: 7 });
    expect(first('up )')).toEqual({ offset: 3, message: 'PromQL syntax error: unexpected ")": nothing is open here' });
    expect(first('up{job="a}')).toEqual({ offset: 7, message: 'unterminated string: the " opened here is never closed' });
    expect(first('sum(up) # c\n/')).toMatchObject({ offset: 12 });
    expect(first('  ')).toEqual({ offset: 0, message: 'the query is empty' });
  });

  it('type rules the grammar does not encode', () => {
    expect(first('rate(foo)')).toEqual({ offset: 5, message: 'rate() needs a range vector such as rate(x[5m]), got an instant vector' });
    expect(first('quantile_over_time(0.9, x)')?.offset).toBe(24);
    expect(first('sum(foo[5m])')?.message).toMatch(/^a range vector \(foo\[5m\]\) cannot be used here/);
    expect(first('foo[5m] / 2')?.offset).toBe(0);
    expect(first('{job=~".*"}')?.message).toMatch(/needs a metric name or at least one matcher/);
    expect(promqlProblems('{job=~".+"}')).toEqual([]);
  });

  it('selectors: the text to send as match[], with the metric name', () => {
    expect(promqlSelectors('sum(rate(a_total{job="x"}[5m])) / on(job) b + {__name__="c", d="e"} offset 5m')).toEqual([
      { text: 'a_total{job="x"}', metric: 'a_total', offset: 9 },
      { text: 'b', metric: 'b', offset: 42 },
      { text: '{__name__="c", d="e"}', metric: 'c', offset: 46 },
    ]);
    expect(promqlSelectors('sum(rate(x[5m]) /')).toEqual([]);
    expect(promqlSelectors('vector(1)')).toEqual([]);
  });

  it('unquote reads Go-style escapes and raw strings', () => {
    expect(unquote('"a\\"b\\n\\x41"')).toBe('a"b\nA');
    expect(unquote("'it\\'s'")).toBe("it's");
    expect(unquote('`a\\b`')).toBe('a\\b');
  });
});
