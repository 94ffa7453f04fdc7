/**
 * "An action is running" has one source of truth: the session's own running
 * action (extras.action), the one the quit key and the dialogs read. The
 * header shows exactly that while a session is there; the events are read
 * only where there is none (a replay).
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent, EngineState } from '../src/engine/types.js';
import type { RunningAction } from '../src/ui-contract.js';
import { rolloutStatus } from '../src/present/rollout-status.js';
import { headerLines } from './Header.js';
import { fitSegments } from './Line.js';
import { makeTheme } from './theme.js';
import { gate, makeState, T0 } from '../test/helpers/state-fixture.js';

const theme = makeTheme({ noColor: true, ascii: false });
const SEC = 1000;

function statusLine(state: EngineState, action: RunningAction | null | undefined): string {
  const status = rolloutStatus(state, state.now, { readonly: false, action });
  const [l1] = headerLines({ state, now: state.now, status, extras: action === undefined ? {} : { action }, readonly: false, width: 200 }, theme);
  return l1!.segs.map((s) => s.text).join('');
}

const started = (at: number, action: 'promote' | 'rollback' = 'promote', auto = false): EngineEvent => ({ at, type: 'action.started', action, stageId: 'canary-10', operator: 'root', auto, dryRun: false });
const refused = (at: number): EngineEvent => ({ at, type: 'action.refused', action: 'rollback', stageId: 'canary-10', why: 'promote by root running for 12 s: wait for it to finish', reason: 'auto: error-rate failing', auto: true });
const finished = (at: number, action: 'promote' | 'rollback' = 'promote'): EngineEvent => ({ at, type: 'action.finished', action, stageId: 'canary-10', ok: true, durationMs: 1000, steps: [], summary: `${action} ok` });

describe('the status line reads the session for "an action is running"', () => {
  const base = makeState({ gates: [gate('error-rate', 'ok', { onFail: 'rollback' })] });

  it('a refused second request does not end the promote that runs (the guard refuses an auto-rollback while it runs)', () => {
    const state = { ...base, events: [...base.events, started(T0 - 30 * SEC), refused(T0 - 10 * SEC)] };
    const line = statusLine(state, { kind: 'promote', operator: 'root', startedAt: T0 - 30 * SEC });
    expect(line).toContain('PROMOTE running 30s');
    expect(line).toContain('PROMOTING');
  });

  it('an action the session has started, not yet in the events, runs, even in the tick the previous one finished', () => {
    const state = { ...base, events: [...base.events, started(T0 - 30 * SEC), finished(T0 - 5 * SEC)] };
    expect(statusLine(state, { kind: 'auto-rollback', operator: 'root', startedAt: T0 - 5 * SEC })).toContain('AUTO-ROLLBACK running 5s');
  });

  it('when the session says nothing runs, nothing runs, whatever the events', () => {
    const state = { ...base, events: [...base.events, started(T0 - 30 * SEC)] };
    expect(statusLine(state, null)).not.toContain('running');
  });

  it('without a session (a replay), the events say it: a refusal does not end the running action, its finish does', () => {
    const running = { ...base, events: [...base.events, started(T0 - 30 * SEC), refused(T0 - 10 * SEC)] };
    expect(statusLine(running, undefined)).toContain('PROMOTE running 30s');
    const over = { ...base, events: [...running.events, finished(T0 - 2 * SEC)] };
    expect(statusLine(over, undefined)).not.toContain('running');
  });
});

describe('the next automatic action, told as the guard will do it', () => {
  // A rollback gate failing: the guard asks for a rollback once per stage.
  const failing = makeState({ gates: [gate('error-rate', 'failing', { onFail: 'rollback', value: 0.152, display: '15.2%', fail: ['> 2%'], warn: [] })] });

  it('while a promote runs, a due auto-rollback is refused by the guard, and the status line says so', () => {
    const state = { ...failing, events: [...failing.events, started(T0 - 30 * SEC)] };
    const line = statusLine(state, { kind: 'promote', operator: 'root', startedAt: T0 - 30 * SEC });
    expect(line).toContain('PROMOTE running 30s');
    expect(line).not.toContain('AUTO-ROLLBACK');
    expect(line).toContain('ROLLBACK DUE now: error-rate 15.2% > 2%');
    expect(line).toContain('the guard refuses it while the promote runs');
  });

  it('after the guard refused it, the stage is not rolled back on its own: it says so until a rollback starts', () => {
    const req: EngineEvent = { at: T0 - 12 * SEC, type: 'rollback.requested', stageId: 'canary-10', gateId: 'error-rate', reason: 'error-rate failing', auto: true };
    const state = { ...failing, events: [...failing.events, started(T0 - 30 * SEC), req, refused(T0 - 10 * SEC), finished(T0 - 5 * SEC)] };
    const line = statusLine(state, null);
    expect(line).not.toContain('AUTO-ROLLBACK');
    expect(line).toContain('ROLLBACK DUE now: error-rate 15.2% > 2%');
    expect(line).toContain('auto-rollback refused (promote by root running for 12 s: wait for it to finish): roll back by hand');
    // A new stage asks again.
    const entered: EngineEvent = { at: T0 - 1 * SEC, type: 'stage.entered', stageId: 'canary-10', index: 1, by: 'promote' };
    expect(statusLine({ ...state, events: [...state.events, entered] }, null)).toContain('AUTO-ROLLBACK now');
  });

  it("withheld after a rollback whose outcome is unknown (its guard died), or off: it says so, not 'AUTO-ROLLBACK now'", () => {
    const alert = (name: string): EngineEvent => ({ at: T0 - 2 * SEC, type: 'alert.firing', name, source: 'flightdeck', severity: 'critical', summary: 'error-rate failing' });
    const withheld = statusLine({ ...failing, events: [...failing.events, alert('auto-rollback withheld')] }, null);
    expect(withheld).not.toContain('AUTO-ROLLBACK');
    expect(withheld).toContain('ROLLBACK DUE now: error-rate 15.2% > 2%');
    expect(withheld).toContain("auto-rollback withheld (an earlier rollback's outcome is unknown): roll back by hand");
    expect(statusLine({ ...failing, events: [...failing.events, alert('auto-rollback disabled')] }, null)).toContain('auto-rollback off: roll back by hand');
  });

  it('says "roll back by hand" at 80 columns too: the reason is said short, the instruction first, not left out', () => {
    const alert: EngineEvent = { at: T0 - 2 * SEC, type: 'alert.firing', name: 'auto-rollback withheld', source: 'flightdeck', severity: 'critical', summary: 'error-rate failing' };
    const state = { ...failing, events: [...failing.events, alert] };
    const status = rolloutStatus(state, state.now, { readonly: false, action: null });
    for (const width of [80, 100, 120]) {
      const [l1] = headerLines({ state, now: state.now, status, extras: {}, readonly: false, width }, theme);
      const text = fitSegments(l1!.segs, width, '…').map((s) => s.text).join('');
      expect([width, text]).toEqual([width, expect.stringContaining('ROLLBACK DUE now: error-rate 15.2% > 2% │ roll back by hand')]);
    }
  });
});

describe('the final stage', () => {
  it('a promotable stage without a promote action but with stages after it is promotable (promoted outside), not the final stage; the last stage is', () => {
    const state = makeState({ gates: [gate('err', 'ok')] });
    const withStages = (hasPromote: boolean, index: number): EngineState => ({ ...state, stageIndex: index, stages: state.stages.map((s, i) => (i === index ? { ...s, promotable: true, hasPromote } : s)) });
    const mid = rolloutStatus(withStages(false, 0), state.now, { readonly: false });
    expect(mid.final).toBe(false);
    expect(mid.word).toBe('promotable');
    const last = state.stages.length - 1;
    const end = rolloutStatus(withStages(false, last), state.now, { readonly: false });
    expect(end.final).toBe(true);
    expect(end.word).toBe('rollout complete');
  });
});

describe('the polling line', () => {
  it('says polls came with errors rather than "none yet" when every poll had one, and "no poll yet" before the first', () => {
    const line2 = (polling: Partial<EngineState['polling']>) => {
      const base = makeState({});
      const state = { ...base, polling: { ...base.polling, lastSuccessAt: undefined, ...polling } };
      const status = rolloutStatus(state, state.now, { readonly: false, action: null });
      return headerLines({ state, now: state.now, status, extras: {}, readonly: false, width: 160 }, theme)[1]!.segs.map((s) => s.text).join('');
    };
    expect(line2({ lastPollAt: T0 - 40 * SEC })).toMatch(/every poll with errors \(last 40s ago\)/);
    expect(line2({ lastPollAt: undefined })).toMatch(/no poll yet/);
    expect(line2({ lastPollAt: T0 - 12 * SEC, lastSuccessAt: T0 - 40 * SEC })).toMatch(/last ok 40s ago/);
  });

  it('keeps "prom DOWN" when its error alone is wider than the line: cut, never the whole line dropped', () => {
    const lastError = 'Prometheus /api/v1/alerts: http://127.0.0.1:19491/api/v1/alerts is unreachable (ECONNREFUSED)';
    const state = makeState({ prometheus: { configured: true, status: 'down', lastError, url: 'http://x' } });
    for (const width of [60, 80, 100]) {
      const status = rolloutStatus(state, state.now, { readonly: false, action: null });
      const [, l2] = headerLines({ state, now: state.now, status, extras: {}, readonly: false, width }, theme);
      expect([width, l2!.segs.map((s) => s.text).join('')]).toEqual([width, expect.stringContaining('prom DOWN: Prometheus /api/v1/alerts')]);
    }
  });
});
