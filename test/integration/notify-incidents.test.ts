/**
 * What a session notifies, through the real notifier to a real webhook
 * receiver on 127.0.0.1 (#19): recoveries once per incident, at info, naming
 * the failure they close, grouped like the failures; dry runs marked and never
 * critical; action notifications with operator, reason and SSH client.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { createNotifier } from '../../src/notify/dispatcher.js';
import { planSchema, type PlanInput } from '../../src/plan/schema.js';
import { Session } from '../../src/session/session.js';
import { FakeProm, PROM } from '../helpers/engine-fakes.js';
import { ROOT } from '../helpers/cli.js';
import { settle, spec, startReceiver, waitUntil, type Receiver } from './notify-helpers.js';

const MARKER = `${ROOT}fixtures/actions/marker.sh`;
let dir: string;
let clock: ManualClock;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-incidents-'));
  clock = new ManualClock();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

function plan(onFail: 'block' | 'rollback'): PlanInput {
  return {
    service: 'dhash',
    prometheus: PROM,
    audit: { file: 'audit.jsonl' },
    logs: { dir: 'logs' },
    stages: [
      {
        id: 'canary-10',
        gates: [{ id: 'err', query: 'err', fail: '> 0.05', onFail }],
        promote: { run: [MARKER, 'promote'] },
        rollback: { steps: [{ name: 'mode-warn', run: [MARKER, 'rb-warn'], dryRun: ['--dry-run'] }] },
      },
      { id: 'full', promote: { run: [MARKER, 'promote-full'] } },
    ],
  };
}

async function setup(o: { onFail?: 'block' | 'rollback'; dryRun?: boolean; groupWindowMs?: number; autoRollback?: boolean } = {}) {
  const rx: Receiver = await startReceiver(clock, () => ({ status: 200 }));
  cleanups.push(() => rx.close());
  const prom = new FakeProm().set('err', 0.01);
  const loaded = { plan: planSchema.parse(plan(o.onFail ?? 'block')), file: join(dir, 'plan.yaml'), dir };
  const engine = new Engine({ loaded, clock, prometheus: prom, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
  const notifier = createNotifier({
    specs: [spec({ kind: 'webhook', urlEnv: 'HOOK' })],
    env: { HOOK: rx.url('/hook') },
    planDir: dir,
    fallbackFile: 'logs/fallback.jsonl',
    clock,
    groupWindowMs: o.groupWindowMs ?? 60_000,
  });
  const session = new Session({
    loaded,
    runtime: { engine, clock, close: async () => {} },
    env: { MARKER_DIR: dir, PATH: process.env.PATH! },
    operator: { user: 'alice', host: 'bastion', sshClient: '203.0.113.7' },
    readonly: false,
    dryRun: o.dryRun ?? false,
    autoRollback: o.autoRollback ?? true,
    notifier,
  });
  cleanups.push(() => session.stop({ flushMs: 0 }));
  const bodies = () => rx.requests.map((r) => JSON.parse(r.body));
  return { rx, prom, engine, session, notifier, bodies };
}

describe('recovery notifications', () => {
  it('a gate back to ok after failing: one info notification naming the failure it closes; no repeat while failing', async () => {
    const { prom, engine, bodies } = await setup();
    await engine.poll();
    prom.set('err', 0.5);
    await engine.poll();
    await engine.poll(); // still failing: nothing new
    await waitUntil(() => bodies().length === 1, 'the failing notification');
    prom.set('err', 0.01);
    await clock.advance(90_000);
    await engine.poll();
    await engine.poll();
    await waitUntil(() => bodies().length === 2, 'the recovery');
    await settle();
    const [fail, back] = bodies();
    expect(fail).toMatchObject({ event: 'gate.failing', severity: 'warning' });
    expect(back).toMatchObject({
      event: 'gate.recovered',
      severity: 'info',
      title: 'dhash: gate err back to ok',
      resolves: { id: fail.id, event: 'gate.failing', title: fail.title, at: fail.at },
      gates: [{ id: 'err', state: 'ok', threshold: '> 0.05' }],
    });
    expect(back.text).toMatch(/^err is ok again \(.*\) after failing for 1m30s/);
    expect(bodies()).toHaveLength(2);
  });

  it('a flapping gate: failures and recoveries are grouped alike, each group summarised once', async () => {
    const { prom, engine, bodies } = await setup();
    await engine.poll();
    for (let i = 0; i < 3; i++) {
      prom.set('err', 0.5);
      await clock.advance(5_000);
      await engine.poll();
      prom.set('err', 0.01);
      await clock.advance(5_000);
      await engine.poll();
    }
    await waitUntil(() => bodies().length === 2, 'the first failure and recovery');
    await settle();
    expect(bodies().map((b) => b.event)).toEqual(['gate.failing', 'gate.recovered']);
    await clock.advance(60_000); // the grouping windows close
    await waitUntil(() => bodies().length === 4, 'the two summaries');
    const [, , s1, s2] = bodies();
    expect([s1.title, s2.title].sort()).toEqual(['dhash: gate err back to ok (repeated 2 times)', 'dhash: gate err failing (block) (repeated 2 times)']);
    expect([s1, s2].find((b) => b.event === 'gate.recovered').severity).toBe('info');
  });

  it('Prometheus back, nodes back, alert resolved: once each, info, referencing the failure', async () => {
    const { engine, bodies } = await setup({ groupWindowMs: 0 });
    engine.emit({ type: 'prometheus.down', error: 'connect ECONNREFUSED 127.0.0.1:9090' });
    engine.emit({ type: 'node.down', node: 'web-1', reason: 'ECONNREFUSED' });
    engine.emit({ type: 'node.down', node: 'web-2', reason: 'HTTP 503 DB_POOL_EXHAUSTED' });
    engine.emit({ type: 'alert.firing', name: 'HighErrorRate', source: 'prometheus', summary: '5xx above 5%', severity: 'critical' });
    engine.emit({ type: 'alert.firing', name: 'gate err', source: 'flightdeck', summary: 'dup of the gate', severity: 'warning' });
    await waitUntil(() => bodies().length === 3, 'three failures');
    await clock.advance(125_000);
    engine.emit({ type: 'prometheus.up' });
    engine.emit({ type: 'prometheus.up' });
    engine.emit({ type: 'node.up', node: 'web-1' });
    engine.emit({ type: 'node.up', node: 'web-2' });
    engine.emit({ type: 'alert.resolved', name: 'HighErrorRate', source: 'prometheus' });
    engine.emit({ type: 'alert.resolved', name: 'HighErrorRate', source: 'prometheus' });
    await waitUntil(() => bodies().length === 6, 'three recoveries');
    await settle();
    const all = bodies();
    expect(all).toHaveLength(6);
    const by = (ev: string) => all.find((b) => b.event === ev);
    expect(by('prometheus.down')).toMatchObject({ severity: 'warning' });
    expect(by('node.down')).toMatchObject({ severity: 'warning', title: 'dhash: 2 nodes down: web-1, web-2' });
    expect(by('alert.firing')).toMatchObject({ severity: 'critical', title: 'dhash: alert HighErrorRate firing' });
    // A recovery names the very failure notification it closes: its id, event, title and time.
    const failure = (ev: string) => ({ id: by(ev).id, event: ev, title: by(ev).title, at: by(ev).at });
    expect(by('prometheus.recovered')).toMatchObject({ severity: 'info', resolves: failure('prometheus.down') });
    expect(by('prometheus.recovered').text).toMatch(/after 2m5s unreachable/);
    expect(by('node.recovered')).toMatchObject({ severity: 'info', title: 'dhash: 2 nodes back up: web-1, web-2', resolves: failure('node.down') });
    expect(by('node.recovered').details.resolvesIds).toEqual([by('node.down').id]);
    expect(by('alert.resolved')).toMatchObject({ severity: 'info', resolves: failure('alert.firing') });
  });
});

describe('dry runs', () => {
  it('watch --dry-run auto-rollback: every notification says dry run, carries dryRun: true, and none is critical', async () => {
    const { prom, engine, session, bodies } = await setup({ onFail: 'rollback', dryRun: true, groupWindowMs: 0 });
    await engine.poll();
    prom.set('err', 0.5);
    await engine.poll();
    await waitUntil(() => bodies().some((b) => b.event === 'action.finished'), 'the dry-run rollback to finish');
    await settle();
    await session.stop({ flushMs: 0 });
    const all = bodies();
    expect(all.map((b) => b.event)).toEqual(['gate.failing', 'rollback.auto', 'action.started', 'action.finished']);
    for (const b of all) {
      expect(b.dryRun).toBe(true);
      expect(b.title).toMatch(/\(dry run\)$/);
      expect(b.severity).not.toBe('critical');
    }
    expect(all[1].title).toBe('dhash: auto-rollback of canary-10 requested (dry run)');
    expect(existsSync(join(dir, 'rb-warn'))).toBe(true);
    expect(await readFile(join(dir, 'rb-warn'), 'utf8')).toMatch(/args: rb-warn --dry-run/);
  });

  it('watch --no-auto-rollback: the rollback a gate asks for is notified as due by hand, never as an auto-rollback, and nothing runs', async () => {
    const { prom, engine, session, bodies } = await setup({ onFail: 'rollback', autoRollback: false, groupWindowMs: 0 });
    await engine.poll();
    prom.set('err', 0.5);
    await engine.poll();
    await waitUntil(() => bodies().some((b) => b.event === 'rollback.auto'), 'the rollback-due notification');
    await settle();
    await session.stop({ flushMs: 0 });
    const all = bodies();
    expect(all.map((b) => b.event)).toEqual(['gate.failing', 'rollback.auto']);
    expect(all[1]).toMatchObject({ severity: 'critical', title: 'dhash: rollback of canary-10 due: roll back by hand (--no-auto-rollback)' });
    expect(all.some((b) => /auto-rollback of/.test(b.title))).toBe(false);
    expect(existsSync(join(dir, 'rb-warn'))).toBe(false);
  });

  it('action notifications carry operator, SSH client and reason', async () => {
    const { session, bodies } = await setup({ groupWindowMs: 0 });
    await session.rollback({ reason: 'p99 over budget' });
    await waitUntil(() => bodies().length === 2, 'started and finished');
    for (const b of bodies()) expect(b).toMatchObject({ operator: 'alice@bastion', sshClient: '203.0.113.7', reason: 'p99 over budget' });
    expect(bodies()[1]).toMatchObject({ event: 'action.finished', severity: 'info', details: { outcome: 'ok' } });
  });
});
