/**
 * One value formatter (src/present/values.ts) for every surface: the same
 * gate, given once, reads the same on the gates panel, the status line, the
 * stage pipeline, the gate detail and the override dialog — in the gate's
 * unit, never the plan's raw number beside a formatted one. A manual gate
 * reads "awaiting sign-off", never "true == false".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import type { EngineState, GateView } from '../src/engine/types.js';
import { blockerText, gateConditionText, gateNumberText, gateThresholdText, gateValueText, notManualText } from '../src/present/values.js';
import { blocked, cockpit, fakeActions } from './dialogs/testing.js';
import { KEYS } from './testing/render.js';
import { gate, makeState, stages, T0 } from '../test/helpers/state-fixture.js';

afterEach(() => cleanup());

// One input: a ratio gate breaching, its plan threshold 0.02 (shown "2%"), and a manual gate.
const errorRate: GateView = gate('error-rate', 'pending', {
  onFail: 'rollback',
  value: 0.152,
  display: '15.2%',
  fail: ['> 2%'],
  warn: [],
  why: '15.2% > 2% for 30s of 2m',
  failsIn: { ms: 90_000 },
  breachSince: T0 - 30_000,
  blocks: true,
});
const signoff: GateView = gate('go-live', 'pending', { kind: 'manual', value: false, display: 'false', fail: ['== false'], warn: [], why: 'awaiting sign-off', blocks: true });
const state: EngineState = makeState({
  gates: [errorRate, signoff],
  stages: stages(1, T0, {
    promotable: false,
    bakeRemainingMs: 0,
    blockers: [
      { gateId: 'error-rate', state: 'pending', display: '15.2%', threshold: '> 0.02', why: errorRate.why },
      { gateId: 'go-live', state: 'pending', display: 'false', threshold: '== false', why: 'awaiting sign-off' },
    ],
  }),
});

describe('the value formatter', () => {
  it('writes value, threshold and condition in the gate unit; manual gates as sign-offs', () => {
    expect(gateValueText(errorRate)).toBe('15.2%');
    expect(gateThresholdText(errorRate)).toBe('> 2%');
    expect(gateConditionText(errorRate)).toBe('15.2% > 2%');
    expect(gateNumberText(errorRate, 0.00393)).toBe('0.393%');
    expect(blockerText(state.stages[1]!.blockers[0]!, state.gates)).toBe('error-rate pending: 15.2% > 2%');
    expect(gateValueText(signoff)).toBe('awaiting sign-off');
    expect(gateThresholdText(signoff)).toBe('sign-off');
    expect(gateValueText({ ...signoff, value: true, signoff: { operator: 'alice', at: T0, note: 'ok' } })).toBe('signed off by alice');
    expect(notManualText({ id: 'high-error-rate', kind: 'alert' })).toBe('high-error-rate is an alert gate; only manual gates take a sign-off');
  });

  it('every surface shows the same words for the same gate', async () => {
    const preview = blocked({ blockers: state.stages[1]!.blockers });
    const t = cockpit(fakeActions({ promote: preview }), {}, { columns: 160, rows: 40 }, state);
    await t.ready();
    const main = t.frame();
    const lines = main.split('\n');
    // Status line, pipeline, gates panel.
    // Due in 1m30s; the guard acts at the first poll after that (polls at +12s every 30s: +1m42s).
    expect(lines[0]).toContain('AUTO-ROLLBACK in 1m42s: error-rate 15.2% > 2%');
    expect(lines[3]).toContain('error-rate pending: 15.2% > 2%');
    expect(lines[3]).toContain('go-live pending: awaiting sign-off');
    const row = lines.find((l) => /pending\s+error-rate\s/.test(l))!;
    expect(row).toMatch(/15\.2%\s+> 2%\s/);
    const manual = lines.find((l) => /pending\s+go-live\s/.test(l))!;
    expect(manual).toMatch(/awaiting\s+sign-off\s/);
    // Gate detail.
    await t.press(KEYS.enter);
    expect(t.frame()).toMatch(/value\s+15\.2% · threshold > 2%/);
    await t.press(KEYS.escape);
    // The override dialog.
    await t.press('p');
    const dialog = t.frame();
    expect(dialog).toContain('error-rate pending: 15.2% > 2%');
    expect(dialog).toContain('go-live pending: awaiting sign-off');
    for (const screen of [main, dialog]) {
      expect(screen).not.toContain('0.02');
      expect(screen).not.toContain('== false');
      expect(screen).not.toMatch(/true == false|false == false/);
    }
  });

  it('the override dialog on a rolled-back stage says it was rolled back, when and why', async () => {
    const rb: EngineState = {
      ...state,
      rolledBack: true,
      gates: [{ ...errorRate, state: 'ok', value: 0.004, display: '0.4%' }],
      stages: stages(1, T0, { status: 'rolled back', promotable: false, blockers: [] }),
      events: [
        { at: T0 - 120_000, type: 'rollback.requested', stageId: 'canary-10', gateId: 'error-rate', reason: '15.2% > 2% for 2m', auto: true },
        { at: T0 - 100_000, type: 'stage.rolled-back', stageId: 'canary-10' },
      ],
    };
    const t = cockpit(fakeActions({ promote: blocked({ blockers: [], bakeRemainingMs: 0 }) }), {}, { columns: 120, rows: 40 }, rb);
    await t.ready();
    expect(t.frame().split('\n')[3]).toContain('ROLLED BACK canary-10 at 11:58:20 (1m ago): automatic, error-rate 15.2% > 2% for 2m');
    expect(t.frame()).not.toContain('PROMOTABLE');
    await t.press('p');
    expect(t.frame()).toContain('not promotable: the stage was rolled back');
    expect(t.frame()).toContain('ROLLED BACK at 11:58:20 (1m ago): 15.2% > 2% for 2m');
    expect(t.frame()).not.toContain('the engine says not yet');
  });
});
