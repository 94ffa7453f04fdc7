import { describe, expect, it } from 'vitest';
import { parseArgs, SECTION_ORDER } from '../../bench/args.js';
import { buildResults, formatTable, formatValue, median, percentile, verdict, type Figure } from '../../bench/figures.js';

const fig = (over: Partial<Figure>): Figure => ({ key: 'k', label: 'a figure', value: 1, unit: 'ms', ...over });

describe('bench figures', () => {
  it('judges a value against its target', () => {
    expect(verdict(fig({ value: 900, target: { op: '<=', value: 1000 } }))).toBe('OK');
    expect(verdict(fig({ value: 1000, target: { op: '<=', value: 1000 } }))).toBe('OK');
    expect(verdict(fig({ value: 1001, target: { op: '<=', value: 1000 } }))).toBe('MISS');
    expect(verdict(fig({ value: 10, unit: '%', target: { op: '<', value: 10 } }))).toBe('MISS');
    expect(verdict(fig({ value: 12, target: { op: '>=', value: 10 } }))).toBe('OK');
    expect(verdict(fig({ value: false, unit: '', target: { op: '==', value: false } }))).toBe('OK');
    expect(verdict(fig({ value: true, unit: '', target: { op: '==', value: false } }))).toBe('MISS');
    expect(verdict(fig({ value: null, target: { op: '<=', value: 1 } }))).toBe('ERR');
    expect(verdict(fig({ value: 3 }))).toBe('-');
    expect(verdict(fig({ value: null }))).toBe('ERR');
  });

  it('formats values with their units', () => {
    expect(formatValue(1234.56, 'ms')).toBe('1,235 ms');
    expect(formatValue(5.432, 'ms')).toBe('5.43 ms');
    expect(formatValue(424, 'B')).toBe('424 B');
    expect(formatValue(158.46, 'MB')).toBe('158.5 MB');
    expect(formatValue(0.934, '%')).toBe('0.93 %');
    expect(formatValue(1008, 'count')).toBe('1,008');
    expect(formatValue(true, '')).toBe('yes');
    expect(formatValue(null, 'ms')).toBe('n/a');
  });

  it('prints one row a figure with its target and verdict, notes below', () => {
    const table = formatTable([
      fig({ label: 'poll 1,000 nodes, warm: wall', value: 133, target: { op: '<=', value: 1000 } }),
      fig({ label: 'render p95', value: 65.9, target: { op: '<=', value: 8 }, note: 'p50 46 ms' }),
      fig({ label: 'first frame bytes', value: 2999, unit: 'B' }),
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^figure\s+value\s+target$/);
    expect(lines[2]).toMatch(/^poll 1,000 nodes, warm: wall\s+133 ms\s+<= 1,000 ms\s+OK$/);
    expect(lines[3]).toMatch(/^render p95\s+65\.9 ms\s+<= 8 ms\s+MISS$/);
    expect(lines[4]).toBe('    p50 46 ms');
    expect(lines[5]).toMatch(/^first frame bytes\s+2,999 B$/);
    // Values are right-aligned: each ends at the same column.
    const valueEnd = (l: string, v: string) => l.indexOf(v) + v.length;
    expect(valueEnd(lines[2]!, '133 ms')).toBe(valueEnd(lines[3]!, '65.9 ms'));
    expect(valueEnd(lines[2]!, '133 ms')).toBe(valueEnd(lines[5]!, '2,999 B'));
  });

  it('builds results.json with every figure, its verdict, the machine and a summary', () => {
    const r = buildResults(
      [fig({ key: 'a', value: 1, target: { op: '<=', value: 2 } }), fig({ key: 'b', value: 3, target: { op: '<=', value: 2 } }), fig({ key: 'c', value: 4 }), fig({ key: 'd', value: null, target: { op: '<=', value: 1 } })],
      { poll: { runs: [] } },
      { quick: true, only: ['poll'], durationMs: 1234.4, date: new Date('2026-01-01T00:00:00Z') },
    );
    expect(r.date).toBe('2026-01-01T00:00:00.000Z');
    expect(r.summary).toEqual({ ok: 1, miss: 1, err: 1, reference: 1 });
    expect(r.figures.map((f) => f.verdict)).toEqual(['OK', 'MISS', '-', 'ERR']);
    expect(r.machine.cpus).toBeGreaterThan(0);
    expect(r.machine.node).toBe(process.version);
    expect(r.durationMs).toBe(1234);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('computes percentiles by nearest rank and medians', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile([7], 95)).toBe(7);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('bench arguments', () => {
  it('runs every section by default and keeps the bench order for --only', () => {
    expect(parseArgs([], '/x.json')).toEqual({ only: [...SECTION_ORDER], quick: false, out: '/x.json', help: false });
    expect(parseArgs(['--only', 'memory,poll', '--quick'], '/x.json')).toMatchObject({ only: ['poll', 'memory'], quick: true });
    expect(parseArgs(['--only=bytes', '--out=/tmp/r.json'], '/x.json')).toMatchObject({ only: ['bytes'], out: '/tmp/r.json' });
  });

  it('says what was expected for bad input', () => {
    expect(() => parseArgs(['--only', 'polls'], '/x')).toThrow(/--only polls: expected some of poll,bytes/);
    expect(() => parseArgs(['--only'], '/x')).toThrow(/--only needs a value/);
    expect(() => parseArgs(['--fast'], '/x')).toThrow(/unknown argument --fast/);
  });
});
