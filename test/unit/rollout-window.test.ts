/**
 * The window and its polling phases belong to the rollout (fake clock): a
 * process restarted at minute 50 of seed 002's 60-minute window polls every
 * 2 minutes and completes the window at minute 60; one restarted after the
 * window completed shows the saved verdict and opens no new window; a
 * promote or a rollback opens a new one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManualClock } from '../../src/clock.js';
import { Engine, type EngineDeps } from '../../src/engine/engine.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { parsePlanText } from '../../src/plan/load.js';
import { readRecording } from '../../src/record/read.js';
import { Recorder } from '../../src/record/recorder.js';
import { ReplayDriver } from '../../src/record/replay.js';
import { FakeProm, loaded, PROM } from '../helpers/engine-fakes.js';

const MIN = 60_000;
const Q = 'error_ratio';
const T0 = Date.parse('2026-03-01T14:00:00Z');
const PLAN = {
  service: 'dhash',
  prometheus: PROM,
  polling: { window: '60m', phases: [{ for: '5m', every: '30s' }, { every: '2m' }], hot: '5s', jitter: 0 },
  stages: [
    { id: 'canary', gates: [{ id: 'err', query: Q, fail: '> 0.05', onFail: 'rollback' as const }] },
    { id: 'full', gates: [{ id: 'err-full', query: Q, fail: '> 0.05' }] },
  ],
};

function start(restore: Partial<EngineDeps> = {}) {
  const clock = new ManualClock(T0);
  const prom = new FakeProm().set(Q, 0.01);
  const engine = new Engine({ loaded: loaded(PLAN), clock, prometheus: prom, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }), ...restore });
  const events: EngineEvent[] = [];
  engine.on((e) => events.push(e));
  engine.announceResume();
  const scheduler = new Scheduler(engine, clock, { random: () => 0.5 });
  scheduler.start();
  const polls = () => events.filter((e) => e.type === 'poll.started').map((e) => (e.at - T0) / MIN);
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 5_000) await clock.advance(5_000);
  };
  return { engine, clock, events, scheduler, polls, run };
}

describe('a process restarted mid-window continues where the rollout is', () => {
  it('at minute 50 of 60: 2-minute polling at once, the window completes at minute 60, and it says so', async () => {
    const entered = T0 - 50 * MIN;
    const h = start({ stageId: 'canary', stageEnteredAt: entered, window: { start: entered, end: entered + 60 * MIN } });
    expect(h.events[0]).toMatchObject({ type: 'window.resumed', stageId: 'canary', stageEnteredAt: entered, elapsedMs: 50 * MIN, phase: 2, phases: 2, everyMs: 2 * MIN });
    await h.run(14 * MIN);
    h.scheduler.stop();
    expect(h.polls()).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    const st = h.engine.getState();
    expect(st.polling).toMatchObject({ windowStart: entered, windowEnd: entered + 60 * MIN, phaseIndex: 1, intervalMs: 2 * MIN });
    expect(st.polling.label).toBe('window over, phase 2/2 every 2m');
    const done = h.events.filter((e) => e.type === 'window.completed');
    expect(done).toEqual([{ type: 'window.completed', verdict: 'pass', at: T0 + 10 * MIN }]);
    expect(h.engine.rolloutPosition().window).toEqual({ start: entered, end: entered + 60 * MIN, completed: { verdict: 'pass', at: T0 + 10 * MIN } });
    expect(h.engine.getState().stages[0]!.enteredAt).toBe(entered);
  });

  it('at minute 3: the fast phase for its last 2 minutes, then every 2 minutes', async () => {
    const entered = T0 - 3 * MIN;
    const h = start({ stageId: 'canary', stageEnteredAt: entered });
    await h.run(7 * MIN);
    h.scheduler.stop();
    expect(h.polls()).toEqual([0, 0.5, 1, 1.5, 2, 4, 6]);
  });

  it('after the window completed: the saved verdict is shown, no new window opens, nothing completes again', async () => {
    const entered = T0 - 90 * MIN;
    const completed = { verdict: 'pass' as const, at: entered + 60 * MIN };
    const h = start({ stageId: 'canary', stageEnteredAt: entered, window: { start: entered, end: entered + 60 * MIN, completed } });
    expect(h.events[0]).toMatchObject({ type: 'window.resumed', completed });
    await h.run(70 * MIN);
    h.scheduler.stop();
    expect(h.events.filter((e) => e.type === 'window.completed')).toEqual([]);
    expect(h.engine.getState().polling).toMatchObject({ windowStart: entered, windowEnd: entered + 60 * MIN });
    expect(h.engine.rolloutPosition().window.completed).toEqual(completed);
    expect(new Set(h.polls().slice(1).map((t, i) => t - h.polls()[i]!))).toEqual(new Set([2]));
  });

  it('a promote opens a new window: fast polling again, a new end, a new verdict', async () => {
    const entered = T0 - 90 * MIN;
    const h = start({ stageId: 'canary', stageEnteredAt: entered, window: { start: entered, end: entered + 60 * MIN, completed: { verdict: 'pass', at: entered + 60 * MIN } } });
    await h.run(5 * MIN);
    h.engine.dispatch({ type: 'entered-stage', index: 1, by: 'promote' });
    const at = h.clock.now();
    expect(h.engine.getState().polling).toMatchObject({ windowStart: at, windowEnd: at + 60 * MIN, phaseIndex: 0 });
    expect(h.engine.rolloutPosition()).toMatchObject({ stageId: 'full', stageEnteredAt: at, window: { start: at, end: at + 60 * MIN } });
    expect(h.engine.rolloutPosition().window.completed).toBeUndefined();
    await h.run(61 * MIN);
    h.scheduler.stop();
    const after = h.polls().filter((t) => t >= 5);
    expect(after.slice(0, 4)).toEqual([5, 5.5, 6, 6.5]);
    // The first poll at or after the new window's end (2-minute grid from the promote's fast phase) completes it.
    expect(h.events.filter((e) => e.type === 'window.completed')).toEqual([{ type: 'window.completed', verdict: 'pass', at: at + 61 * MIN }]);
  });

  it('a rollback opens a new window too (post-rollback monitoring at the fast phase)', async () => {
    const entered = T0 - 50 * MIN;
    const h = start({ stageId: 'canary', stageEnteredAt: entered });
    await h.run(MIN);
    h.engine.dispatch({ type: 'rolled-back' });
    const at = h.clock.now();
    expect(h.engine.rolloutPosition()).toMatchObject({ stageId: 'canary', stageEnteredAt: entered, rolledBack: true, window: { start: at, end: at + 60 * MIN } });
    await h.run(MIN);
    h.scheduler.stop();
    expect(h.polls().filter((t) => t >= 1)).toEqual([1, 1.5, 2]);
  });

  it('a stage this process entered is not "resumed": nothing is announced', () => {
    const h = start();
    h.scheduler.stop();
    expect(h.events.some((e) => e.type === 'window.resumed')).toBe(false);
    expect(h.engine.getState().polling).toMatchObject({ windowStart: T0, windowEnd: T0 + 60 * MIN });
  });
});

describe('a recording of a resumed rollout', () => {
  it('replays from where recording started, with the saved window and baselines: the same gate states and window verdict', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fd-resume-rec-'));
    try {
      const text = stringify({ ...PLAN, stages: [{ id: 'canary', gates: [{ id: 'err', query: Q, fail: '> +10%', onFail: 'block' }] }] });
      const planFile = join(dir, 'plan.yaml');
      await writeFile(planFile, text);
      const lp = parsePlanText(text, planFile, dir);
      const clock = new ManualClock(T0);
      let v = 0.02; // mid-incident: twice the saved baseline
      const prom = new FakeProm().set(Q, () => v);
      const entered = T0 - 50 * MIN;
      const engine = new Engine({ loaded: lp, clock, prometheus: prom, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }), stageId: 'canary', stageEnteredAt: entered, baselines: { 'canary/err': { value: 0.01, at: entered, source: 'first value' } } });
      const file = join(dir, 'rec.ndjson');
      const rec = new Recorder(file);
      rec.attach(engine, { planFile, planText: text });
      const live: EngineEvent[] = [];
      engine.on((e) => live.push(e));
      const s = new Scheduler(engine, clock, { random: () => 0.5 });
      s.start();
      for (let t = 0; t < 12 * MIN; t += 5_000) {
        if (t === 4 * MIN) v = 0.0105;
        await clock.advance(5_000);
      }
      s.stop();
      await rec.close();
      const recording = await readRecording(file);
      expect(recording.header).toMatchObject({ startedAt: T0, windowStart: entered, rollout: { stageEnteredAt: entered, baselines: { 'canary/err': { value: 0.01 } } } });
      const driver = new ReplayDriver(recording);
      expect(driver.startAt).toBe(T0);
      const replayed: EngineEvent[] = [];
      driver.engine.on((e, origin) => origin === 'engine' && replayed.push(e));
      driver.runToEnd();
      const kinds = ['gate.changed', 'window.completed'];
      expect(replayed.filter((e) => kinds.includes(e.type))).toEqual(live.filter((e) => kinds.includes(e.type)));
      expect(live.filter((e) => e.type === 'gate.changed').map((e) => e.type === 'gate.changed' && e.to)).toEqual(['failing', 'ok']);
      expect(live.some((e) => e.type === 'window.completed')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
