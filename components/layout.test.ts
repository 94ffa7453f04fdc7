/** Row and column budgets for a terminal size. */
import { describe, expect, it } from 'vitest';
import { allocate, computeLayout, windowStart } from './layout.js';

describe('layout', () => {
  it('gives titles first, then rows by priority, leftovers to the last panel', () => {
    const h = allocate(10, { gates: 40, nodes: 500, alerts: 3, log: 3 }, ['gates', 'nodes', 'alerts', 'log'], [
      ['gates', 3],
      ['nodes', 1],
      ['gates', Infinity],
    ]);
    expect([...h]).toEqual([
      ['gates', 6],
      ['nodes', 2],
      ['alerts', 1],
      ['log', 1],
    ]);
    const spare = allocate(10, { gates: 2, nodes: 2, alerts: 1, log: 1 }, ['gates', 'nodes', 'alerts', 'log'], [['gates', Infinity]]);
    expect(spare.get('gates')).toBe(2);
    expect(spare.get('log')).toBe(1 + 5);
    const small = allocate(2, {}, ['gates', 'nodes', 'alerts'], []);
    expect([...small.keys()]).toEqual(['gates', 'nodes']);
  });

  it('fills exactly rows-1 lines at every size', () => {
    for (const rows of [16, 24, 50, 80]) {
      for (const columns of [60, 80, 140, 200]) {
        const l = computeLayout({ columns, rows }, { headerLines: 3, wants: { gates: 41, nodes: 501, alerts: 13, log: 201 } });
        expect(l.header + l.stage + l.body + l.footer).toBe(rows - 1);
        for (const c of l.columns) expect(c.panels.reduce((n, p) => n + p.height, 0)).toBe(l.body);
        expect(l.columns.reduce((n, c) => n + c.width, 0) + l.columns.length - 1).toBe(columns - 1);
        expect(l.wide).toBe(columns >= 140);
      }
    }
    expect(computeLayout({ columns: 59, rows: 40 }, { headerLines: 2, wants: { gates: 1, nodes: 1, alerts: 1, log: 1 } }).tooSmall).toBe(true);
    expect(computeLayout({ columns: 60, rows: 16 }, { headerLines: 2, wants: { gates: 1, nodes: 1, alerts: 1, log: 1 } }).tooSmall).toBe(false);
  });

  it('windows keep the selected row visible', () => {
    expect(windowStart(100, 10, 0, 25)).toBe(16);
    expect(windowStart(100, 10, 50, 45)).toBe(45);
    expect(windowStart(100, 10, 95, -1)).toBe(90);
    expect(windowStart(5, 10, 3, 4)).toBe(0);
  });
});
