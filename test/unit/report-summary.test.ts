import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_LIMIT, numeric } from '../../src/engine/gate.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { readRecording, type Recording } from '../../src/record/read.js';
import { ReplayDriver } from '../../src/record/replay.js';
import type { ReportModel } from '../../src/report/model.js';
import { summarise, verdictOf } from '../../src/report/summary.js';
import { recordLongWindow, recordWindow, SECRET, XSS_REASON, type Scenario } from './report-fixture.js';

let dir: string;
const recs = new Map<Scenario, { rec: Recording; live: EngineEvent[]; model: ReportModel }>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-report-'));
  for (const s of ['rollback', 'pass', 'fail', 'interrupted', 'complete', 'failed-rollback'] as const) {
    const { file, live } = await recordWindow(dir, s);
    const rec = await readRecording(file);
    recs.set(s, { rec, live, model: summarise(rec) });
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const get = (s: Scenario) => recs.get(s)!;
const recorded = (rec: Recording) => rec.entries.flatMap((e) => (e.kind === 'event' ? [e.event] : []));
const changesOf = (events: EngineEvent[]) => events.flatMap((e) => (e.type === 'gate.changed' ? [e] : []));

describe('report model: gate timelines', () => {
  it('holds every gate.changed event of the recording, per gate, exactly and in order', () => {
    const { rec, model } = get('rollback');
    const events = changesOf(recorded(rec));
    expect(events.length).toBeGreaterThan(10);
    for (const g of model.gates) {
      const want = events.filter((e) => e.gateId === g.id && e.stageId === g.stageId).map((e) => ({ at: e.at, from: e.from, to: e.to, value: e.value, display: e.display, why: e.why, onFail: e.onFail }));
      expect(g.timeline).toEqual(want);
    }
    expect(model.gates.reduce((n, g) => n + g.timeline.length, 0)).toBe(events.length);
  });

  it('matches what the live engine emitted, and a fresh replay agrees (no divergence warning)', () => {
    const { live, model } = get('rollback');
    const trail = (list: Array<{ at: number; from: string; to: string }>) => list.map((c) => `${c.at} ${c.from}->${c.to}`);
    const p99 = model.gates.find((g) => g.id === 'p99-latency')!;
    expect(trail(p99.timeline)).toEqual(trail(changesOf(live).filter((e) => e.gateId === 'p99-latency')));
    expect(p99.timeline.map((c) => c.to)).toEqual(['ok', 'warn', 'failing']);
    expect(model.warnings).toEqual([]);
  });

  it('keeps one point per evaluation, with the value each observation brought', () => {
    const { rec, model } = get('rollback');
    const obs = rec.entries.flatMap((e) => (e.kind === 'obs' ? [e] : []));
    const alertGate = model.gates.find((g) => g.id === 'budget-burn-alert')!; // plan-wide: evaluated at every poll
    expect(alertGate.series.length).toBe(obs.length);
    expect(alertGate.series.map((p) => p.value)).toEqual(obs.map((o) => { const r = o.results['budget-burn-alert']!; return r.status === 'value' ? numeric(r.value) : null; }));
    expect(alertGate.series.map((p) => p.at)).toEqual(obs.map((o) => o.at));
    const err50 = model.gates.find((g) => g.id === 'error-rate-50')!;
    expect(err50.series.filter((p) => p.state === 'failing').map((p) => p.display)).toContain('9%');
    expect(err50.failLines).toEqual([0.05]);
    expect(err50.warnLines).toEqual([0.03]);
    expect(err50.unit).toBe('ratio');
  });

  it('adds up time per state from the changes, within the stage\'s visit', () => {
    const { model } = get('rollback');
    const p99 = model.gates.find((g) => g.id === 'p99-latency')!;
    const canary = model.stages.find((s) => s.id === 'canary-10')!;
    const failingSince = p99.timeline.find((c) => c.to === 'failing')!.at;
    expect(p99.failingMs).toBe(canary.visits[0]!.leftAt! - failingSince); // failing until the stage was left
    expect(p99.worst).toEqual({ at: failingSince, display: '270ms', state: 'failing' });
    expect(p99.reached).toBe('failing');
    expect(p99.finalState).toBe('failing');
    const err50 = model.gates.find((g) => g.id === 'error-rate-50')!;
    const f = err50.timeline.findIndex((c) => c.to === 'failing');
    expect(err50.failingMs).toBe(err50.timeline[f + 1]!.at - err50.timeline[f]!.at);
    expect(Object.values(err50.timeInState).reduce((a, b) => a + b, 0)).toBe(model.window.end - err50.timeline[0]!.at);
  });

  it('keeps every value and every change of a window longer than the engine remembers', async () => {
    const { file, live } = await recordLongWindow(dir, 420);
    const rec = await readRecording(file);
    const model = summarise(rec);
    const flap = model.gates[0]!;
    const obsCount = rec.entries.filter((e) => e.kind === 'obs').length;
    expect(obsCount).toBeGreaterThan(HISTORY_LIMIT);
    expect(flap.series.length).toBe(obsCount);
    const liveChanges = changesOf(live);
    expect(liveChanges.length).toBeGreaterThan(400);
    expect(flap.timeline.map((c) => c.at)).toEqual(liveChanges.map((e) => e.at));
    // The replayed engine alone has lost the beginning: its history and event list are bounded.
    const d = new ReplayDriver(rec);
    d.runToEnd();
    expect(d.engine.getState().gates[0]!.history.length).toBe(HISTORY_LIMIT);
    expect(changesOf(d.engine.getState().events).length).toBeLessThan(liveChanges.length);
  });
});

describe('report model: stages, actions and the rest', () => {
  it('tells when each stage was entered and left, and how', () => {
    const { rec, model } = get('rollback');
    const entered = recorded(rec).flatMap((e) => (e.type === 'stage.entered' ? [e] : []));
    const rolledBackAt = rec.entries.flatMap((e) => (e.kind === 'cmd' && e.cmd.type === 'rolled-back' ? [e.at] : []));
    expect(entered).toHaveLength(1);
    expect(rolledBackAt).toHaveLength(1);
    const [canary, half, full] = model.stages;
    expect(canary!.visits).toEqual([{ enteredAt: model.window.start, by: 'start', leftAt: entered[0]!.at, leftBy: 'promote' }]);
    expect(half!.visits).toEqual([{ enteredAt: entered[0]!.at, by: 'promote', rolledBackAt: rolledBackAt[0] }]);
    expect(half!.rolledBack).toBe(true);
    expect(half!.finalStatus).toBe('rolled back');
    expect(full!.visits).toEqual([]);
    expect(full!.finalStatus).toBe('not reached');
    expect(get('pass').model.stages.map((s) => s.finalStatus)).toEqual(['done', 'done', 'current']);
  });

  it('follows a step back to an earlier stage: the stage left by rollback is rolled back, the earlier one visited twice', async () => {
    const m = summarise(await readRecording((await recordWindow(dir, 'step-back')).file));
    const [canary, half] = m.stages;
    expect(canary!.visits.map((v) => [v.by, v.leftBy])).toEqual([['start', 'promote'], ['rollback', undefined]]);
    expect(half!.visits).toEqual([expect.objectContaining({ by: 'promote', leftBy: 'rollback' })]);
    expect(half!.rolledBack).toBe(true);
    expect(half!.finalStatus).toBe('rolled back');
    expect(canary!.finalStatus).toBe('current');
    expect(m.verdict.outcome).toBe('rolled back');
    expect(m.verdict.reasons).toEqual(['half-50 rolled back at +5m: moved back to canary-10']);
    // canary-10's gates start again on re-entry: their timeline goes on, fresh from "no data"
    const err = m.gates.find((g) => g.id === 'error-rate')!;
    expect(err.timeline.map((c) => `${c.from}->${c.to}`)).toEqual(['no data->ok', 'no data->ok']);
    expect(err.timeInState.ok).toBe(canary!.timeMs);
  });

  it('lists actions with operator, reason, override fields, steps with exit codes and durations, and result', () => {
    const { model } = get('rollback');
    const [promote, rollback] = model.actions;
    expect(promote).toMatchObject({ action: 'promote', stageId: 'canary-10', operator: 'alice', reason: XSS_REASON, auto: false, result: 'ok', durationMs: 12_000 });
    expect(promote!.override).toEqual({ manual_override: true, override_acknowledged: true, override_reason: XSS_REASON });
    expect(promote!.steps).toEqual([expect.objectContaining({ name: 'promote', status: 'ok', exitCode: 0, durationMs: 12_000 })]);
    expect(rollback).toMatchObject({ action: 'rollback', stageId: 'half-50', auto: true, result: 'ok' });
    expect(rollback!.reason).toMatch(/^auto: error-rate-50 failing: 9% > 5% for 20s/);
    expect(rollback!.steps.map((s) => [s.name, s.status, s.exitCode, s.durationMs])).toEqual([
      ['drain', 'ok', 0, 2_000],
      ['previous-tag', 'ok', 0, 65_000],
      ['verify', 'ok', 0, 250],
    ]);
    const failed = get('failed-rollback').model.actions[1]!;
    expect(failed.result).toBe('failed');
    expect(failed.steps.map((s) => [s.name, s.status, s.exitCode])).toEqual([
      ['drain', 'ok', 0],
      ['previous-tag', 'failed', 3],
      ['verify', 'skipped', null],
    ]);
    expect(failed.steps[1]!.tail).toContain('error: tag "previous" not found in registry');
  });

  it('keeps overrides with seed 004\'s fields, the rollback request, alerts, node outages and notifications', () => {
    const { model } = get('rollback');
    expect(model.overrides).toEqual([
      { at: model.actions[0]!.startedAt, stageId: 'canary-10', operator: 'alice', blockers: ['p99-latency'], fields: { manual_override: true, override_acknowledged: true, override_reason: XSS_REASON } },
    ]);
    expect(model.rollbackRequests).toEqual([expect.objectContaining({ stageId: 'half-50', gateId: 'error-rate-50', auto: true })]);
    const burn = model.alerts.find((a) => a.name === 'HighErrorBudgetBurn')!;
    expect(burn).toMatchObject({ source: 'prometheus', severity: 'critical', summary: 'error budget burning 14x' });
    expect(burn.resolvedAt! - burn.firedAt).toBe(burn.durationMs);
    expect(burn.firedAt).toBeGreaterThanOrEqual(model.window.start + 80_000);
    expect(model.nodes.events.map((e) => `${e.node} ${e.kind}`)).toEqual(['web-2 down', 'web-2 up']);
    expect(model.nodes.outages).toEqual([{ node: 'web-2', downs: 1, downMs: model.nodes.events[1]!.at - model.nodes.events[0]!.at, downAtEnd: false }]);
    expect(model.notifications).toMatchObject({ delivered: 4, retries: 1, failed: 1, fallback: 1 });
    expect(model.notifications.channels.find((c) => c.channel === 'teams')).toEqual({ channel: 'teams', delivered: 1, failed: 1, fallback: 0, retries: 1 });
    expect(model.notifications.failures.map((f) => f.error ?? '')).toEqual(['HTTP 500 from webhook', '']);
    const web1 = get('fail').model.nodes.outages.find((o) => o.node === 'web-1')!;
    expect(web1).toMatchObject({ downs: 1, downAtEnd: true });
    expect(web1.downMs).toBe(get('fail').model.window.end - get('fail').model.nodes.events.find((e) => e.node === 'web-1')!.at);
  });

  it('carries the window and plan facts, and no secret the recorder redacted', () => {
    const { model } = get('rollback');
    expect(model).toMatchObject({ service: 'dhash', environment: 'production', operator: 'alice' });
    expect(model.window.plannedMs).toBe(12 * 60_000);
    expect(model.window.completed).toBe(true);
    expect(model.polls.count).toBeGreaterThan(30);
    const json = JSON.stringify(model);
    expect(json).not.toContain(SECRET);
    expect(json).toContain('[REDACTED]');
  });
});

describe('report model: verdict', () => {
  it('says rolled back, passed, complete, failed or interrupted, with one-line reasons', () => {
    const v = (s: Scenario) => get(s).model.verdict;
    expect(v('rollback').outcome).toBe('rolled back');
    expect(v('rollback').reasons).toEqual([expect.stringMatching(/^half-50 rolled back at \+5m\d+s: auto-rollback, error-rate-50 failing: 9% > 5% for 20s$/)]);
    expect(v('pass')).toEqual({ outcome: 'passed', reasons: ['the 12m window completed with every guarding gate passing'] });
    expect(v('fail').outcome).toBe('failed');
    expect(v('fail').reasons).toEqual([expect.stringMatching(/^health-50 failing at the end: 1 > 0/)]);
    // A promote opens a new 12-minute window: the recording falls short of the last window's end.
    expect(v('interrupted').outcome).toBe('interrupted');
    expect(v('interrupted').reasons[0]).toMatch(/^interrupted at stage half-50 \(2 of 3\): the recording ends at \+3m\d+s, 10m\d+s before the window's planned end \(12m\)$/);
    expect(v('complete').outcome).toBe('complete');
    expect(v('complete').reasons[0]).toMatch(/^the rollout reached its final stage full at \+4m3\ds with every guarding gate passing \(baked 0s\)$/);
    expect(v('complete').reasons[1]).toMatch(/^the recording ends at \+4m\d+s, 11m\d+s before the window's planned end \(12m\)$/);
    expect(v('failed-rollback').outcome).toBe('failed');
    expect(v('failed-rollback').reasons[0]).toMatch(/^rollback of half-50 failed at \+5m\d+s: rollback failed at step 'previous-tag' \(exit 3\)$/);
    expect(v('failed-rollback').reasons[1]).toMatch(/^auto-rollback of half-50 requested at .* and not carried out/);
    for (const s of recs.values()) for (const r of s.model.verdict.reasons) expect(r).not.toContain('\n');
  });

  it('applies the rules in order: a later successful rollback wins, a failed promote fails a completed window, overrides are named', () => {
    const base = get('pass').model;
    const withActions = (extra: Partial<ReportModel>): ReportModel => ({ ...structuredClone(base), ...extra });
    const promoteFailed = withActions({ actions: [{ ...base.actions[0]!, ok: false, result: 'failed', summary: "promote failed at step 'promote' (exit 1)" }] });
    expect(verdictOf(promoteFailed)).toEqual({ outcome: 'failed', reasons: [expect.stringMatching(/^promote of canary-10 failed at \+\d+m\d+s: promote failed at step 'promote' \(exit 1\)$/)] });
    const retried = withActions({ actions: [{ ...base.actions[0]!, ok: false, result: 'failed' }, { ...base.actions[0]!, startedAt: base.actions[0]!.startedAt + 1, ok: true, result: 'ok' }] });
    expect(verdictOf(retried).outcome).toBe('passed');

    const rb = get('failed-rollback').model;
    const second = { ...rb.actions[1]!, ok: true, result: 'ok', summary: 'rollback ok in 3s', finishedAt: rb.actions[1]!.finishedAt! + 60_000 };
    const stages = structuredClone(rb.stages);
    stages[1]!.visits[0]!.rolledBackAt = second.finishedAt;
    stages[1]!.rolledBack = true;
    expect(verdictOf({ ...structuredClone(rb), actions: [...rb.actions, second], stages }).outcome).toBe('rolled back');

    const overridden = withActions({ overrides: structuredClone(get('rollback').model.overrides) });
    expect(verdictOf(overridden).reasons[1]).toBe(`guarded override of canary-10 by alice at +1m30s past p99-latency: ${XSS_REASON}`);
  });

  it('refuses a recording whose plan cannot be replayed, with a clear message', () => {
    const { rec } = get('pass');
    const broken: Recording = { header: { ...rec.header, planText: 'service: [unclosed' }, entries: rec.entries };
    expect(() => summarise(broken)).toThrow(/the recorded plan \(.*dhash\.plan\.yaml\) cannot be replayed/);
  });
});
