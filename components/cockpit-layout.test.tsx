/** The cockpit at real terminal sizes: every panel, every gate state, the row budget, resizes, themes. */
import React from 'react';
import chalk from 'chalk';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GATE_STATES, type EngineState } from '../src/engine/types.js';
import { CockpitApp, type CockpitAppProps } from './CockpitApp.js';
import { formatClock } from './format.js';
import { renderSized, stripAnsi, waitForFrame, type SizedRender } from './testing/render.js';
import { T0, events, fleet, gate, makeFullState, makeState, stages } from '../test/helpers/state-fixture.js';

let open: SizedRender[] = [];
afterEach(() => {
  for (const r of open) r.unmount();
  open = [];
});

// Ink colours through chalk, which is off when stdout is not a terminal (as under vitest).
beforeAll(() => {
  chalk.level = 1;
});

async function show(props: Partial<CockpitAppProps> & { state: EngineState }, columns: number, rows: number) {
  const r = renderSized(<CockpitApp utc env={{}} {...props} />, { columns, rows });
  open.push(r);
  await waitForFrame();
  return r;
}

const visibleLines = (frame: string) => stripAnsi(frame).split('\n');
const GATE_ROW = /^(?:▶|>| ) \S (?:ok|warn|pending|failing|no data|error|off)\s/;
/** The gates panel's row of a gate (single-column layouts). */
const gateRow = (lines: string[], id: string) => lines.find((l) => GATE_ROW.test(l) && l.includes(id));
const width = (s: string) => [...s].length;

function expectFits(frame: string, columns: number, rows: number) {
  const lines = visibleLines(frame);
  expect(lines.length).toBeLessThanOrEqual(rows - 1);
  for (const l of lines) expect(width(l), `line wider than ${columns - 1}: "${l}"`).toBeLessThanOrEqual(columns - 1);
}

// eslint-disable-next-line no-control-regex
const COLOUR_SGR = /\u001b\[(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;

describe('fits the terminal', () => {
  const sizes: Array<[number, number]> = [
    [80, 24],
    [160, 50],
    [60, 16],
    [100, 30],
    [139, 40],
    [140, 40],
    [220, 70],
  ];
  for (const [c, r] of sizes) {
    it(`40 gates and 500 nodes at ${c}x${r}: at most ${r - 1} lines, none wider than ${c - 1}`, async () => {
      const t = await show({ state: makeFullState({ gates: 40, nodes: 500, alerts: 12, events: 200 }) }, c, r);
      expectFits(t.lastFrame(), c, r);
      const text = stripAnsi(t.lastFrame());
      expect(text).toContain('GATES 40');
      expect(text).toContain('500 nodes: 496 up, 3 down');
      if (c >= 100 && (c < 140 || c >= 220)) expect(text).toContain('500 nodes: 496 up, 3 down, 1 unknown, 1 open breaker');
      expect(text).toContain('NOT PROMOTABLE');
    });
  }

  it('keeps the important facts at 80x24: stage, blockers, gate states, node summary', async () => {
    const t = await show({ state: makeFullState() }, 80, 24);
    const text = stripAnsi(t.lastFrame());
    expect(text).toContain('2/4 canary-10');
    expect(text).toMatch(/blocked by 4: extraction-failure-rate, p99-l/);
    expect(text).toContain('1 failing, 1 error, 1 pending, 1 no data, 5 warn, 30 ok, 1 off');
    expect(text).toMatch(/failing\s+extraction-fail/);
    expect(text).toContain('ALERTS');
    expect(text).toContain('ACTIVITY');
    // The most severe gates come first in the few rows there are.
    const rows = visibleLines(t.lastFrame());
    // Under the title, the column headings, then the most severe gate.
    const firstGateRow = rows.findIndex((l) => l.includes('GATES')) + 1;
    expect(rows[firstGateRow]).toMatch(/STATE\s+GATE\s+VALUE\s+THRESHOLD/);
    expect(rows[firstGateRow + 1]).toContain('failing');
  });

  it('uses two columns from 140 columns: gates beside nodes', async () => {
    const wide = await show({ state: makeFullState() }, 160, 50);
    const lines = visibleLines(wide.lastFrame());
    expect(lines.some((l) => l.includes('GATES 40') && l.includes('NODES'))).toBe(true);
    // All 40 gates have room at 160x50 except what the alerts need.
    expect(lines.filter((l) => /gate-\d\d-error-ratio/.test(l)).length).toBeGreaterThan(25);
    const narrow = await show({ state: makeFullState() }, 139, 50);
    expect(visibleLines(narrow.lastFrame()).some((l) => l.includes('GATES') && l.includes('NODES'))).toBe(false);
  });

  it('says the terminal is too small below 60x16, without overflowing it', async () => {
    for (const [c, r] of [
      [59, 30],
      [100, 15],
      [30, 6],
    ] as const) {
      const t = await show({ state: makeFullState() }, c, r);
      const text = stripAnsi(t.lastFrame());
      expect(text).toContain('Terminal too small');
      expectFits(t.lastFrame(), c, r);
      if (r > 2) expect(text).toContain(`${c}x${r}, need at least 60x16`);
    }
  });

  it('follows resizes, down to too small and back', async () => {
    const t = await show({ state: makeFullState() }, 160, 50);
    expect(visibleLines(t.lastFrame()).length).toBe(49);
    await t.resize(80, 24);
    expectFits(t.lastFrame(), 80, 24);
    expect(visibleLines(t.lastFrame()).some((l) => l.includes('GATES') && l.includes('NODES'))).toBe(false);
    await t.resize(50, 12);
    expect(stripAnsi(t.lastFrame())).toContain('Terminal too small');
    expectFits(t.lastFrame(), 50, 12);
    await t.resize(100, 30);
    expectFits(t.lastFrame(), 100, 30);
    expect(stripAnsi(t.lastFrame())).toContain('GATES 40');
  });
});

describe('gates panel', () => {
  for (const columns of [80, 160]) {
    it(`shows every gate state with its exact word at ${columns} columns`, async () => {
      const state = makeState();
      const t = await show({ state }, columns, 40);
      const lines = visibleLines(t.lastFrame());
      for (const g of state.gates) {
        const row = gateRow(lines, g.id.slice(0, 14));
        expect(row, g.id).toBeDefined();
        expect(row!).toMatch(new RegExp(`\\s${g.state}\\s`));
      }
      expect(GATE_STATES.every((s) => lines.some((l) => l.includes(` ${s} `)))).toBe(true);
      // value, threshold, time in state
      const failing = gateRow(lines, 'extraction-fail')!;
      expect(failing).toContain('0.071');
      expect(failing).toContain('> 0.05');
      // Time in state at a coarse step (a steady screen does not repaint it every second).
      // (At these widths the reasons take the room: the sparkline and "since" gave way.)
      expect(failing).toContain('ROLLBACK');
      const pending = gateRow(lines, 'p99-latency')!;
      if (columns >= 160) expect(pending).toContain('fails in 5m48s or 2 probes');
      else expect(pending).toContain('fails in');
    });
  }

  it('shows the warn band beside the fail threshold when the panel is wide enough', async () => {
    const t = await show({ state: makeState() }, 139, 40);
    expect(gateRow(visibleLines(t.lastFrame()), 'extraction-fail')).toContain('> 0.05 | warn > 0.03');
    const n = await show({ state: makeState() }, 100, 40);
    expect(gateRow(visibleLines(n.lastFrame()), 'extraction-fail')).not.toContain('warn > 0.03');
  });

  it('makes a failing rollback gate unmistakable: inverse, bold, ROLLBACK', async () => {
    const t = await show({ state: makeState() }, 160, 40);
    const raw = t.lastFrame().split('\n').find((l) => GATE_ROW.test(stripAnsi(l)) && l.includes('extraction-failure-rate'))!;
    expect(raw).toContain('\u001b[7m');
    expect(raw).toContain('\u001b[1m');
    expect(stripAnsi(raw)).toContain('ROLLBACK');
  });

  it('draws the history as a sparkline, in ASCII with --ascii', async () => {
    const state = makeState({ gates: [gate('ramp', 'ok', { history: [0, 1, 2, 3, 4, 5, 6, 7].map((v, i) => ({ at: T0 - (8 - i) * 1000, value: v, raw: v, state: 'ok' as const })) })] });
    const uni = await show({ state }, 160, 30);
    expect(stripAnsi(uni.lastFrame())).toContain('▁▂▃▄▅▆▇█');
    const asc = await show({ state, ascii: true }, 160, 30);
    expect(stripAnsi(asc.lastFrame())).toContain('_.:-=+*#');
  });

  it('moves countdowns on with the display time', async () => {
    const state = makeState();
    const t = await show({ state, now: state.now + 48_000 }, 160, 40);
    const text = stripAnsi(t.lastFrame());
    expect(text).toContain('fails in 5m or 2 probes');
    expect(text).toContain('bake 10m left');
    expect(text).toContain('5m in stage'); // 4m12s + 48s
  });
});

describe('header and stages', () => {
  it('shows service, stage i of N, time in stage, bake and window left, polling, last poll, Prometheus', async () => {
    const t = await show({ state: makeState() }, 160, 40);
    const [l1, l2] = visibleLines(t.lastFrame());
    expect(l1).toContain('dhash production');
    expect(l1).toContain('2/4 canary-10 BLOCKED');
    expect(l1).toContain('AUTO-ROLLBACK now: extraction-failure-rate 0.071 > 0.05');
    // Clocks nobody acts on to the second are coarse (a steady screen stays quiet).
    expect(l1).toContain('4m in stage');
    expect(l1).toContain('bake 11m left');
    expect(l1).toContain('window 52m left');
    expect(l2).toContain('poll phase 1/2 every 30s');
    expect(l2).toContain('next in 20s');
    expect(l2).toContain('last ok 10s ago');
    expect(l2).toContain('prom up');
  });

  it('shows READ-ONLY, undelivered notifications, a running action and Prometheus down', async () => {
    const state = makeState({ prometheus: { configured: true, status: 'down', lastError: 'connect ECONNREFUSED', url: 'http://x' } });
    const t = await show(
      {
        state,
        readonly: true,
        extras: { notifications: { undelivered: 3, lastError: 'slack: HTTP 500' }, action: { kind: 'rollback', operator: 'alice', startedAt: T0 - 62_000, lastLine: 'draining web-4\u001b[31m' } },
      },
      160,
      40,
    );
    const lines = visibleLines(t.lastFrame());
    expect(lines[0]).toMatch(/^ READ-ONLY /);
    expect(lines[1]).toContain('prom DOWN: connect ECONNREFUSED');
    expect(lines[1]).toContain('notify: 3 undelivered (slack: HTTP 500)');
    // The running action is on the status line; a rollback running is never called promotable.
    expect(lines[0]).toContain('2/4 canary-10 ROLLING BACK');
    expect(lines[0]).toContain('ROLLBACK running 1m2s │ by alice │ draining web-4');
    expect(lines[3]).toContain('ROLLING BACK canary-10');
    expect(t.lastFrame()).not.toContain('draining web-4\u001b[31m');
    expectFits(t.lastFrame(), 160, 40);
  });

  it('lists every stage as done / current / next and says what blocks promotion', async () => {
    const t = await show({ state: makeState() }, 160, 40);
    const lines = visibleLines(t.lastFrame());
    expect(lines[2]).toBe('✓ canary-1 → ● canary-10 → ○ canary-50 → ○ full');
    expect(lines[3]).toContain('NOT PROMOTABLE: bake 11m left; blocked by 4: extraction-failure-rate failing: 0.071 > 0.05, p99-latency pending: 6.2ms > +10%');
    const cautious = makeState({ gates: [gate('burn', 'warn'), gate('latency', 'ok')] });
    const c = await show({ state: cautious }, 160, 40);
    expect(visibleLines(c.lastFrame())[3]).toBe('NOT PROMOTABLE: bake 11m left · caution: burn');
  });

  it('says PROMOTABLE when it is, and ROLLED BACK after a rollback', async () => {
    const ok = makeState({ gates: [gate('ok-gate')], stages: stages(1, T0, { promotable: true, bakeRemainingMs: 0 }) });
    const t = await show({ state: ok }, 100, 30);
    expect(visibleLines(t.lastFrame())[3]).toBe('PROMOTABLE to canary-50 p to promote');
    const rb = makeState({ rolledBack: true, stages: stages(1, T0, { status: 'rolled back' }) });
    const r = await show({ state: rb }, 100, 30);
    const lines = visibleLines(r.lastFrame());
    expect(lines[2]).toContain('↺ canary-10');
    expect(lines[3]).toContain('ROLLED BACK canary-10');
  });
});

describe('nodes, alerts, activity', () => {
  it('nodes: up/down, latency, breaker, Retry-After wait, degraded reason; attention first', async () => {
    const nodes = fleet(20, { down: 1, open: 1, degraded: 1 });
    const t = await show({ state: makeState({ nodes }) }, 139, 50);
    const lines = visibleLines(t.lastFrame());
    const i4 = lines.findIndex((l) => /web-4\s/.test(l));
    const i11 = lines.findIndex((l) => /web-11\s/.test(l));
    const i1 = lines.findIndex((l) => /web-1\s/.test(l));
    expect(lines[i4]).toMatch(/✗ web-4\s+down\s+1\.2s\s+closed\s+retry 20s\s+DB_POOL_EXHAUST/);
    expect(lines[i11]).toMatch(/✗ web-11\s+down\s+-\s+open\s+retry 25s\s+connect ECONNREFUSED/);
    expect(lines.find((l) => /web-18\s/.test(l))).toMatch(/● web-18\s+up\s+\d+ms\s+closed\s+database_pool\.state\.sat/);
    expect(i4).toBeLessThan(i1);
    expect(i11).toBeLessThan(i1);
  });

  it('alerts: newest first, firing/pending, since when', async () => {
    const t = await show({ state: makeFullState({ alerts: 3 }) }, 160, 50);
    const lines = visibleLines(t.lastFrame()).filter((l) => /^\s+\S (firing|pending)\s+(critical|warning|info)/.test(l));
    expect(lines.map((l) => l.match(/(HighErrorRate|DhashLatencyP99|DBPoolSaturated)/)![1])).toEqual(['HighErrorRate', 'DhashLatencyP99', 'DBPoolSaturated']);
    // Ages in coarse steps (47 s, 1m34s old): a steady screen repaints them rarely.
    expect(lines[0]).toMatch(/firing\s+critical\s+HighErrorRate\s+prom\s+40s/);
    expect(lines[1]).toMatch(/pending\s+warning\s+DhashLatencyP99\s+prom\s+1m\s/);
  });

  it('activity: one time-stamped line per event and extra line, newest at the bottom, escapes removed', async () => {
    const evs = events(13);
    const lines = [{ at: T0 - 1000, text: 'rollback step 2/4: \u001b[2Jtag v1.2.2\r\nok', source: 'action' as const }];
    const t = await show({ state: makeState({ events: evs }), extras: { lines } }, 139, 60);
    const frame = t.lastFrame();
    expect(frame).not.toContain('\u001b[2J');
    const text = visibleLines(frame);
    const activity = text.slice(text.findIndex((l) => l.includes('ACTIVITY')) + 1).map((l) => l.slice(l.indexOf('ACTIVITY') >= 0 ? 0 : 0));
    const logLines = activity.map((l) => l.match(/(\d\d:\d\d:\d\d) (.*)$/)).filter(Boolean) as RegExpMatchArray[];
    expect(logLines.length).toBeGreaterThanOrEqual(12);
    const last = logLines[logLines.length - 1]!;
    expect(last[1]).toBe(formatClock(T0 - 1000, true));
    expect(last[2]).toContain('action: rollback step 2/4: tag v1.2.2 ok');
    expect(text.join('\n')).toContain('gate extraction-failure-rate pending → failing: 0.071 (0.071 > 0.05 for 10m of 10m) ROLLBACK');
    expect(text.join('\n')).toContain('node web-4 down: HTTP 503 DB_POOL_EXHAUSTED');
    const times = logLines.map((m) => m[1]!);
    expect([...times].sort()).toEqual(times);
  });
});

describe('themes', () => {
  it('colours by default; none under NO_COLOR or --no-color (bold/inverse remain)', async () => {
    const state = makeFullState();
    const coloured = await show({ state }, 160, 50);
    expect(coloured.lastFrame()).toMatch(COLOUR_SGR);
    const env = await show({ state, env: { NO_COLOR: '1' } }, 160, 50);
    expect(env.lastFrame()).not.toMatch(COLOUR_SGR);
    expect(env.lastFrame()).toContain('\u001b[7m');
    const flag = await show({ state, noColor: true }, 80, 24);
    expect(flag.lastFrame()).not.toMatch(COLOUR_SGR);
    const empty = await show({ state, env: { NO_COLOR: '' } }, 80, 24);
    expect(empty.lastFrame()).toMatch(COLOUR_SGR);
  });

  it('ASCII mode: only ASCII characters, no box drawing, no sparkline blocks', async () => {
    for (const [c, r] of [
      [80, 24],
      [160, 50],
    ] as const) {
      const t = await show({ state: makeFullState(), ascii: true, extras: { action: { kind: 'promote', operator: 'bob', startedAt: T0 } } }, c, r);
      const text = stripAnsi(t.lastFrame());
      expect(text).not.toMatch(/[\u2500-\u259f]/);
      expect(text).toMatch(/^[\x20-\x7e\n]*$/);
      expect(text).toContain('-- GATES');
      expectFits(t.lastFrame(), c, r);
    }
  });
});
