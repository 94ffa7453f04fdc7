import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManualClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { parsePlanText } from '../../src/plan/load.js';
import { readRecording } from '../../src/record/read.js';
import { Recorder } from '../../src/record/recorder.js';
import { ReplayDriver } from '../../src/record/replay.js';
import { FakeNodes, FakeProm } from '../helpers/engine-fakes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-rec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const planText = stringify({
  service: 'dhash',
  prometheus: { url: 'http://127.0.0.1:9090', tokenEnv: 'PROM_TOKEN' },
  nodes: [{ name: 'web-1', url: 'http://127.0.0.1:1' }],
  polling: { window: '10m', phases: [{ for: '1m', every: '10s' }, { every: '30s' }], hot: '5s', jitter: 0 },
  stages: [
    { id: 'canary', gates: [{ id: 'err', query: 'err', fail: '> 0.05', warn: '> 0.03', for: '20s', onFail: 'rollback' }, { id: 'health', health: { consecutiveFailures: 2 } }], rollback: { run: ['true'] } },
    { id: 'full' },
  ],
});

const gateTrail = (events: EngineEvent[]) => events.filter((e) => e.type === 'gate.changed').map((e) => (e.type === 'gate.changed' ? `${e.at} ${e.gateId} ${e.from}->${e.to} ${e.display}` : ''));

async function recordWindow(file: string) {
  const planFile = join(dir, 'plan.yaml');
  await writeFile(planFile, planText);
  const loaded = parsePlanText(planText, planFile, dir);
  const clock = new ManualClock();
  const prom = new FakeProm();
  const nodes = new FakeNodes(['web-1'], clock);
  const engine = new Engine({ loaded, clock, prometheus: prom, nodes, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
  const rec = new Recorder(file, ['s3cr3t-token-value']);
  rec.attach(engine, { planFile, planText, operator: 'alice' });
  const sched = new Scheduler(engine, clock, { random: () => 0.5 });
  let v = 0.01;
  prom.set('err', () => v);
  sched.start();
  for (let t = 0; t < 240; t++) {
    if (t === 30) v = 0.04;
    if (t === 60) v = 0.09;
    if (t === 100) nodes.failing.add('web-1');
    if (t === 140) {
      engine.emit({ type: 'action.started', action: 'rollback', stageId: 'canary', operator: 'alice', reason: 'token s3cr3t-token-value', auto: true, dryRun: false });
      engine.dispatch({ type: 'rolled-back' });
    }
    if (t === 150) v = 0.01;
    await clock.advance(1_000);
  }
  sched.stop();
  await rec.close();
  return engine;
}

describe('recording and replay', () => {
  it('replaying a recording reproduces the same sequence of gate states, with no network', async () => {
    const file = join(dir, 'window.ndjson');
    const live = await recordWindow(file);
    const rec = await readRecording(file);
    const replay = new ReplayDriver(rec);
    replay.runToEnd();
    const liveTrail = gateTrail(live.getState().events);
    expect(liveTrail.length).toBeGreaterThan(5);
    expect(liveTrail.some((l) => l.includes('err pending->failing'))).toBe(true);
    expect(gateTrail(replay.engine.getState().events)).toEqual(liveTrail);
    expect(replay.engine.getState().stages[0]!.status).toBe('rolled back');
    expect(replay.engine.getState().events.some((e) => e.type === 'action.started')).toBe(true);
    expect(replay.engine.getState().gates.map((g) => g.history.map((s) => `${s.at}:${s.state}`))).toEqual(live.getState().gates.map((g) => g.history.map((s) => `${s.at}:${s.state}`)));
  });

  it('seeks backwards and forwards to the same states', async () => {
    const file = join(dir, 'w.ndjson.gz');
    await recordWindow(file);
    expect(gunzipSync(await readFile(file)).toString()).toMatch(/"kind":"header"/);
    const replay = new ReplayDriver(await readRecording(file));
    const mid = replay.startAt + 90_000;
    replay.seek(mid);
    const atMid = replay.engine.getState().gates.map((g) => g.state);
    replay.runToEnd();
    replay.seek(mid);
    expect(replay.engine.getState().gates.map((g) => g.state)).toEqual(atMid);
    expect(atMid[0]).toBe('failing');
  });

  it('never writes a secret value into the recording', async () => {
    const file = join(dir, 'w.ndjson');
    await recordWindow(file);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('s3cr3t-token-value');
    expect(text).toContain('PROM_TOKEN'); // the reference, not the value
  });

  it('rejects a file that is not a recording', async () => {
    const file = join(dir, 'x.ndjson');
    await writeFile(file, '{"hello":1}\n');
    await expect(readRecording(file)).rejects.toThrow(/not a Flightdeck recording/);
  });
});
