/**
 * The rollout state with seed 002's real plan (fixtures/plans), real scripts
 * (they write marker files), the files store and the audit: a state that
 * cannot be used refuses promote, rollback and auto-rollback and audits
 * nothing as done; `state set` repairs it and is audited; a changed plan is
 * shown and audited once.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { verifyAudit } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { keeperFor, restoredFrom } from '../../src/cli/open-session.js';
import type { Store } from '../../src/store/store.js';
import { describeState, runStateSet, runStateShow } from '../../src/cli/state.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { loadPlan, type LoadedPlan } from '../../src/plan/load.js';
import { Session } from '../../src/session/session.js';
import { fileStore, statePathFor } from '../../src/store/files.js';
import { parseState } from '../../src/store/rollout-state.js';
import { formatEvent } from '../../components/activity.js';
import { formatClock } from '../../components/format.js';
import { makeTheme } from '../../components/theme.js';
import { ROOT } from '../helpers/cli.js';
import { FakeProm } from '../helpers/engine-fakes.js';

const SEED = `${ROOT}fixtures/plans/seed-002-dhash-guarded.yaml`;
const QUEUE = 'max(dhash_low_confidence_queue_length)';
const OPERATOR = { user: 'alice', host: 'bastion', sshClient: '203.0.113.7' };
const ENV = { SUDO_USER: 'alice' };
let dir: string;
let planFile: string;

/** seed 002's plan in a workspace of its own, with scripts that record that they ran and a verifiable backup. */
async function workspace(planText?: string): Promise<void> {
  await mkdir(join(dir, 'plans', 'backups'), { recursive: true });
  await mkdir(join(dir, 'scripts'));
  planFile = join(dir, 'plans', 'seed-002.yaml');
  await writeFile(planFile, planText ?? (await readFile(SEED, 'utf8')));
  for (const s of ['backup_dhash.sh', 'migrate_dhash.sh', 'deploy_dhash.sh', 'smoke_tests.sh', 'verify_backup.sh', 'rollback_dhash.sh']) {
    await writeFile(join(dir, 'scripts', s), `#!/usr/bin/env bash\necho "${s} $*" >> "${dir}/ran"\n`);
    await chmod(join(dir, 'scripts', s), 0o755);
  }
  const zip = join(dir, 'plans', 'backups', 'dhash_latest.zip');
  await writeFile(zip, 'backup bytes');
  await writeFile(`${zip}.sha256`, `${createHash('sha256').update('backup bytes').digest('hex')}  dhash_latest.zip\n`);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-state-'));
  await workspace();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const statePath = () => statePathFor(planFile);
const ran = async () => (existsSync(join(dir, 'ran')) ? (await readFile(join(dir, 'ran'), 'utf8')).trim().split('\n') : []);
const auditFile = () => join(dir, 'plans', 'monitor_logs', 'audit.jsonl');
const audit = async (): Promise<Array<Record<string, any>>> =>
  existsSync(auditFile()) ? (await readFile(auditFile(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)) : [];

/** A session on the plan as `watch` opens one (store, restore, keeper), on a fake Prometheus and a fake clock. */
async function open(opts: { prom?: FakeProm; clock?: ManualClock; autoRollback?: boolean; loaded?: LoadedPlan; stageId?: string; store?: (s: Store) => Store } = {}) {
  const loaded = opts.loaded ?? (await loadPlan(planFile));
  const clock = opts.clock ?? new ManualClock(Date.parse('2026-03-01T14:00:00Z'));
  const prom = opts.prom ?? new FakeProm().set(QUEUE, 10);
  const files = fileStore(loaded);
  const store = opts.store ? opts.store(files) : files;
  const state = await store.state.read();
  const engine = new Engine({
    loaded,
    clock,
    prometheus: prom,
    nodes: null,
    ...restoredFrom(state, opts.stageId),
    readFile: async () => '',
    runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }),
  });
  const events: EngineEvent[] = [];
  engine.on((e) => events.push(e));
  const session = new Session({
    loaded,
    runtime: { engine, clock, close: async () => {} },
    env: { PATH: process.env.PATH! },
    operator: OPERATOR,
    readonly: false,
    dryRun: false,
    autoRollback: opts.autoRollback ?? true,
    rollout: keeperFor(store, engine, loaded, state, opts.stageId),
  });
  session.begin();
  return { session, engine, events, clock, prom, state, loaded };
}

/** A store whose state writes fail while `away` is set (a database stopped, a full disk); reads go through. */
function awayStore() {
  const s = {
    away: false,
    wrap: (files: Store): Store => ({
      ...files,
      state: { location: files.state.location, read: () => files.state.read(), write: (st) => (s.away ? Promise.reject(new Error('connection refused')) : files.state.write(st)) },
    }),
  };
  return s;
}

async function validState(stageId = 'post-deploy', enteredAt = Date.parse('2026-03-01T13:10:00Z')) {
  const code = await runStateSet(await loadPlan(planFile), { stage: stageId, reason: 'initial state for the test', enteredAt: String(enteredAt) }, () => {}, { env: ENV, now: () => Date.parse('2026-03-01T13:59:00Z') });
  expect(code).toBe(0);
  return JSON.parse(await readFile(statePath(), 'utf8'));
}

const BROKEN: Array<[string, () => Promise<void>, RegExp]> = [
  [
    'a truncated state file',
    async () => {
      const text = await readFile(statePath(), 'utf8');
      await writeFile(statePath(), text.slice(0, Math.floor(text.length / 2)));
    },
    /not JSON .*truncated or edited by hand/,
  ],
  [
    'an unknown stage id',
    async () => {
      const s = JSON.parse(await readFile(statePath(), 'utf8'));
      await writeFile(statePath(), JSON.stringify({ ...s, stageId: 'canary-50' }));
    },
    /names stage "canary-50", which the plan no longer has \(stages: pre-deploy, post-deploy\)/,
  ],
  [
    "another plan's state",
    async () => {
      const s = JSON.parse(await readFile(statePath(), 'utf8'));
      await writeFile(statePath(), JSON.stringify({ ...s, plan: { ...s.plan, service: 'mes-dashboard' } }));
    },
    /belongs to mes-dashboard \(production\), not to this plan's dhash \(production\)/,
  ],
];

describe('an unusable rollout state is never a fresh start', () => {
  for (const [what, breakIt, problem] of BROKEN) {
    it(`${what}: promote, rollback and auto-rollback are refused, nothing runs, nothing is audited as done, the file is kept`, async () => {
      await validState();
      await breakIt();
      const before = await readFile(statePath());
      const prom = new FakeProm().set(QUEUE, 5000); // low-confidence-queue > 1000, onFail: rollback
      // As `watch --stage post-deploy` would: the stage's gates are watched, the state is still unusable.
      const { session, engine, events } = await open({ prom, stageId: 'post-deploy' });
      expect(session.stateProblem?.problem).toMatch(problem);
      expect(events.find((e) => e.type === 'state.unusable')).toMatchObject({ location: statePath(), fix: expect.stringContaining(`flightdeck state set ${planFile} --stage <pre-deploy|post-deploy>`) });
      expect(session.extras().banner).toMatch(/^ROLLOUT STATE UNUSABLE/);

      await engine.poll();
      expect(events.some((e) => e.type === 'rollback.requested' && e.gateId === 'low-confidence-queue')).toBe(true);
      // The auto-rollback's refusal (and its audit) ends in a loud alert.
      await vi.waitFor(() => expect(events.filter((e) => e.type === 'alert.firing' && e.name === 'auto-rollback refused')).toHaveLength(1), { timeout: 5_000 });
      await session.stop();
      const auto = events.filter((e) => e.type === 'alert.firing' && e.name === 'auto-rollback refused');
      expect(auto[0]).toMatchObject({ severity: 'critical', summary: expect.stringMatching(problem) });

      const p = await session.promote({ reason: 'try anyway' });
      const r = await session.rollback({ reason: 'try anyway' });
      for (const o of [p, r]) {
        expect(o.ok).toBe(false);
        expect(!o.ok && o.refused).toMatch(new RegExp(`^rollout state ${statePath().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
        expect(!o.ok && o.refused).toMatch(/flightdeck state set/);
      }
      expect(await ran()).toEqual([]);
      const lines = await audit();
      const acts = lines.filter((l) => ['promote', 'rollback', 'auto-rollback'].includes(l.action));
      expect(acts.map((l) => [l.action, l.result])).toEqual([
        ['auto-rollback', 'refused'],
        ['promote', 'refused'],
        ['rollback', 'refused'],
      ]);
      expect(lines.some((l) => l.result === 'ok' && l.action !== 'state-set')).toBe(false);
      expect(await readFile(statePath())).toEqual(before); // never overwritten
      expect(await readdir(join(dir, 'plans', '.flightdeck'))).toEqual(['seed-002.yaml.state.json']);
    });
  }

  it('state show names the file, the problem and the fix (exit 2); state set repairs it, audited with what it replaced, and the rollback then runs', async () => {
    await validState();
    await BROKEN[0]![1]();
    const loaded = await loadPlan(planFile);
    const out: string[] = [];
    expect(await runStateShow(loaded, {}, (l) => out.push(l))).toBe(2);
    expect(out.join('\n')).toMatch(new RegExp(`^${statePath().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: UNUSABLE \\(unreadable\\)`));
    expect(out.join('\n')).toMatch(/fix: see it with `flightdeck state show .*`, then set where the rollout really is with `flightdeck state set/);

    const short = await runStateSet(loaded, { stage: 'post-deploy', reason: 'short' }, () => {}, { env: ENV });
    expect(short).toBe(2);
    const unknown = await runStateSet(loaded, { stage: 'canary-50', reason: 'the rollout is at post-deploy since 13:10' }, (l) => out.push(l), { env: ENV });
    expect(unknown).toBe(2);
    expect(out.at(-1)).toMatch(/no stage "canary-50" .* \(stages: pre-deploy, post-deploy\)/);

    const set = await runStateSet(loaded, { stage: 'post-deploy', reason: 'deploy finished at 13:10, state file was truncated', enteredAt: '2026-03-01T13:10:00Z' }, () => {}, { env: ENV });
    expect(set).toBe(0);
    const entry = (await audit()).at(-1)!;
    expect(entry).toMatchObject({ action: 'state-set', result: 'ok', stage: 'post-deploy', reason: 'deploy finished at 13:10, state file was truncated', operator: { user: 'alice' } });
    expect(entry.details).toMatchObject({ replaced: { status: 'broken', kind: 'unreadable' }, enteredAt: '2026-03-01T13:10:00.000Z' });
    expect((await verifyAudit(auditFile())).ok).toBe(true);

    const shown: string[] = [];
    expect(await runStateShow(loaded, {}, (l) => shown.push(l), { now: () => Date.parse('2026-03-01T14:00:00Z') })).toBe(0);
    expect(shown.join('\n')).toMatch(/stage 2\/2 post-deploy\n {2}entered 2026-03-01T13:10:00.000Z \(50m ago\)\n {2}window minute 50 of 60/);

    const { session } = await open();
    expect(session.stateProblem).toBeNull();
    const r = await session.rollback({ reason: 'back out 2.4.1' });
    await session.stop();
    expect(r.ok).toBe(true);
    expect(await ran()).toEqual([
      'verify_backup.sh --backup backups/dhash_latest.zip',
      'rollback_dhash.sh --backup backups/dhash_latest.zip --env production --force',
      'smoke_tests.sh --env production --post-rollback',
    ]);
    const saved = JSON.parse(await readFile(statePath(), 'utf8'));
    expect(saved).toMatchObject({ stageId: 'post-deploy', rolledBack: true });
  });

  it('a rollback the store did not take (the store away) is written again at the next poll, not dropped; until then nothing else runs', async () => {
    await validState();
    const store = awayStore();
    const flaky = store.wrap;
    const { session, engine, events } = await open({ store: flaky });
    store.away = true;
    const r = await session.rollback({ reason: 'back out 2.4.1' });
    expect(r.ok).toBe(true);
    await engine.poll();
    expect(JSON.parse(await readFile(statePath(), 'utf8'))).toMatchObject({ stageId: 'post-deploy', rolledBack: false });
    // Another process saves at the same position meanwhile (a standby's bookkeeping): that is no move, the rollback still goes in.
    await runStateSet(await loadPlan(planFile), { stage: 'post-deploy', reason: 'same position, saved elsewhere', enteredAt: String(Date.parse('2026-03-01T13:10:00Z')) }, () => {}, { env: ENV });
    const next = await session.rollback({ reason: 'again while the store is away' });
    expect(!next.ok && next.refused).toMatch(/last move is not saved yet .*connection refused; nothing runs until the store takes it/);
    expect(await ran()).toHaveLength(3); // the first rollback's three steps, nothing of the refused one
    store.away = false;
    await engine.poll();
    await session.stop();
    expect(JSON.parse(await readFile(statePath(), 'utf8'))).toMatchObject({ stageId: 'post-deploy', rolledBack: true });
    const notes = events.flatMap((e) => (e.type === 'session.note' ? [e.text] : []));
    expect(notes.filter((t) => /could not save the rollout state/.test(t))).toHaveLength(1);
    expect(notes.some((t) => /rollout state saved to .* once it answered again/.test(t))).toBe(true);
  });

  it('a rollback that ends while the store cannot even be read (a database away) is written once it can be read again, not dropped', async () => {
    await validState();
    let away = false;
    const wrap = (files: Store): Store => ({
      ...files,
      state: {
        location: files.state.location,
        read: () =>
          away
            ? Promise.resolve({ status: 'broken' as const, location: files.state.location, problem: { kind: 'unreadable' as const, location: files.state.location, problem: 'cannot be read (connection refused)', fix: 'wait for the store' } })
            : files.state.read(),
        write: (st) => (away ? Promise.reject(new Error('connection refused')) : files.state.write(st)),
      },
    });
    const clock = new ManualClock(Date.parse('2026-03-01T14:00:00Z'));
    const { session, engine } = await open({ store: wrap, clock });
    // The store goes away once the rollback runs, and a poll sees it unreadable before the rollback ends.
    const r = await session.rollback({
      reason: 'back out 2.4.1',
      onSpawn: () => {
        if (away) return;
        away = true;
        void engine.poll();
      },
    });
    expect(r.ok).toBe(true);
    await session.flush();
    expect(JSON.parse(await readFile(statePath(), 'utf8'))).toMatchObject({ stageId: 'post-deploy', rolledBack: false });
    away = false;
    await clock.advance(5_000);
    await engine.poll();
    await session.flush();
    await clock.advance(5_000);
    await engine.poll();
    await session.stop();
    expect(JSON.parse(await readFile(statePath(), 'utf8'))).toMatchObject({ stageId: 'post-deploy', rolledBack: true });
  });

  it('an unsaved rollback is not written over a state another process saved since (a leader elsewhere): it is dropped, and said', async () => {
    await validState();
    const store = awayStore();
    const flaky = store.wrap;
    const { session, engine, events } = await open({ store: flaky });
    store.away = true;
    expect((await session.rollback({ reason: 'back out 2.4.1' })).ok).toBe(true);
    await engine.poll();
    await runStateSet(await loadPlan(planFile), { stage: 'pre-deploy', reason: 'set by the leader on another bastion' }, () => {}, { env: ENV });
    store.away = false;
    await engine.poll();
    await session.stop();
    expect(JSON.parse(await readFile(statePath(), 'utf8'))).toMatchObject({ stageId: 'pre-deploy', rolledBack: false, reason: 'set by the leader on another bastion' });
    expect(events.some((e) => e.type === 'session.note' && /unsaved move .* is dropped: the rollout moved on in another process/.test(e.text))).toBe(true);
  });

  it('a state that became unusable while the session ran refuses the next action; one another process moved on is not overwritten', async () => {
    await validState();
    const { session } = await open();
    await session.stop();
    await writeFile(statePath(), '{"stageId": "post-dep');
    const r = await session.rollback({ reason: 'back out' });
    expect(!r.ok && r.refused).toMatch(/not JSON/);
    expect(session.stateProblem?.kind).toBe('unreadable');
    expect(await ran()).toEqual([]);

    await validState('pre-deploy', Date.parse('2026-03-01T13:50:00Z')); // another operator set it back
    const second = await open();
    await runStateSet(await loadPlan(planFile), { stage: 'post-deploy', reason: 'promoted from another bastion' }, () => {}, { env: ENV });
    const moved = await second.session.promote({ override: { reason: 'approvals given on the PR', acknowledged: true } });
    await second.session.stop();
    expect(!moved.ok && moved.refused).toMatch(/the saved rollout state .* says post-deploy entered .*; this session shows pre-deploy entered 2026-03-01T13:50:00.000Z: reopen/);
    expect(await ran()).toEqual([]);
  });

  it('--stage other than the saved stage: the action is refused and the operator is told to set the state first (audited)', async () => {
    await validState('post-deploy');
    const { session } = await open({ stageId: 'pre-deploy' });
    const r = await session.promote({ override: { reason: 'approvals given on the PR', acknowledged: true } });
    await session.stop();
    expect(!r.ok && r.refused).toMatch(/says post-deploy entered .*, not --stage pre-deploy: if the rollout really is at pre-deploy, say so first with `flightdeck state set .* --stage pre-deploy --reason "…"` \(audited\)$/);
    expect(await ran()).toEqual([]);
    expect(JSON.parse(await readFile(statePath(), 'utf8')).stageId).toBe('post-deploy');
  });

  it('a state of the first format is read (not refused) and upgraded on the next save', async () => {
    await mkdir(join(dir, 'plans', '.flightdeck'));
    const entered = Date.parse('2026-03-01T13:30:00Z');
    await writeFile(statePath(), JSON.stringify({ stageId: 'post-deploy', stageEnteredAt: entered, rolledBack: false, updatedAt: entered, by: 'bob' }));
    const { session, engine } = await open();
    await session.stop();
    expect(session.stateProblem).toBeNull();
    expect(engine.getState().polling).toMatchObject({ windowStart: entered, windowEnd: entered + 60 * 60_000, phaseIndex: 1 });
    const saved = JSON.parse(await readFile(statePath(), 'utf8'));
    expect(saved).toMatchObject({ version: 2, stageId: 'post-deploy', stageEnteredAt: entered, window: { start: entered }, plan: { service: 'dhash' } });
  });
});

describe('reading a state', () => {
  it('an empty file, JSON of another shape, and an unreadable file are problems of their own kind, each with the fix', async () => {
    const loaded = await loadPlan(planFile);
    const at = '/x/.flightdeck/p.state.json';
    expect(parseState('', at, loaded.plan, 'p.yaml')).toMatchObject({ status: 'broken', problem: { kind: 'unreadable', problem: 'the file is empty' } });
    const other = parseState('{"stage": "post-deploy"}', at, loaded.plan, 'p.yaml');
    expect(other).toMatchObject({ status: 'broken', problem: { kind: 'schema', location: at } });
    expect(other.status === 'broken' && other.problem.problem).toMatch(/^not a Flightdeck rollout state \(/);
    await validState();
    await chmod(statePath(), 0o000);
    const read = await fileStore(loaded).state.read();
    await chmod(statePath(), 0o644);
    // root reads anything: then the file is simply read.
    if (process.getuid?.() !== 0) expect(read).toMatchObject({ status: 'broken', problem: { kind: 'unreadable', problem: 'cannot be read (EACCES)' } });
    else expect(read.status).toBe('ok');
  });
});

describe('the window belongs to the rollout', () => {
  it('its verdict is saved; a process opened after it shows "window completed: pass at …" and opens no new window', async () => {
    const entered = Date.parse('2026-03-01T12:50:00Z'); // 70 minutes before the sessions' clock
    await validState('post-deploy', entered);
    const first = await open();
    await first.engine.poll();
    await first.session.stop();
    const done = first.events.find((e) => e.type === 'window.completed');
    expect(done).toMatchObject({ verdict: 'pass', at: Date.parse('2026-03-01T14:00:00Z') });
    const saved = JSON.parse(await readFile(statePath(), 'utf8'));
    expect(saved.window).toEqual({ start: entered, end: entered + 60 * 60_000, completed: { verdict: 'pass', at: Date.parse('2026-03-01T14:00:00Z') } });

    const second = await open({ clock: new ManualClock(Date.parse('2026-03-01T14:30:00Z')) });
    await second.engine.poll();
    await second.session.stop();
    const resumed = second.events.find((e) => e.type === 'window.resumed')!;
    expect(resumed).toMatchObject({ stageId: 'post-deploy', completed: { verdict: 'pass', at: Date.parse('2026-03-01T14:00:00Z') } });
    expect(formatEvent(resumed, makeTheme({ noColor: true, ascii: false }).glyphs)!.text).toBe(`resumed post-deploy: window completed: pass at ${formatClock(Date.parse('2026-03-01T14:00:00Z'))}`);
    expect(second.events.some((e) => e.type === 'window.completed')).toBe(false);
    expect(second.engine.getState().polling.windowEnd).toBe(entered + 60 * 60_000);
  });
});

describe('plan edits mid-window', () => {
  it('a loosened threshold is shown with the gate and the change, and audited once with who loaded it', async () => {
    await validState();
    const text = await readFile(planFile, 'utf8');
    await writeFile(planFile, text.replace('fail: "> 1000"', 'fail: "> 5000"').replace(/(id: extraction-failure-rate[\s\S]*?for: )10m/, '$120m'));
    const { session, events } = await open();
    await session.stop();
    const changed = events.find((e) => e.type === 'plan.changed');
    expect(changed).toMatchObject({
      loadedBy: 'alice@bastion',
      gates: [
        { key: 'post-deploy/extraction-failure-rate', changes: ['for 10m → 20m'] },
        { key: 'post-deploy/low-confidence-queue', changes: ['fail > 1000 → > 5000'] },
      ],
    });
    expect(session.extras().banner).toBe('plan changed since the window opened: post-deploy/extraction-failure-rate, post-deploy/low-confidence-queue');
    expect(events.filter((e) => e.type === 'session.note').map((e) => (e as { text: string }).text)).toContain('plan changed since the window opened: post-deploy/extraction-failure-rate for 10m → 20m; post-deploy/low-confidence-queue fail > 1000 → > 5000');
    const entries = (await audit()).filter((l) => l.action === 'plan-changed');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ result: 'loaded', operator: OPERATOR, details: { gates: changed && changed.type === 'plan.changed' ? changed.gates : [] } });

    // A second cockpit on the same edited plan shows it too, without auditing the same edit again.
    const again = await open();
    await again.session.stop();
    expect(again.events.some((e) => e.type === 'plan.changed')).toBe(true);
    expect((await audit()).filter((l) => l.action === 'plan-changed')).toHaveLength(1);
    // The window keeps the plan it was opened with; `state show` says the plan changed.
    const loaded = await loadPlan(planFile);
    expect(describeState(loaded, await fileStore(loaded).state.read(), Date.parse('2026-03-01T14:00:00Z')).join('\n')).toMatch(/plan changed since the window opened/);
  });

  it('a plan file edited while a cockpit runs is shown and audited once, and the cockpit says it still judges by the plan it loaded', async () => {
    await validState();
    const { session, engine, events, clock } = await open();
    await engine.poll();
    await session.flush();
    expect(events.some((e) => e.type === 'plan.changed')).toBe(false);
    const text = await readFile(planFile, 'utf8');
    await writeFile(planFile, `# tuned at 03:12\n${text.replace('fail: "> 1000"', 'fail: "> 5000"')}`);
    await clock.advance(30_000);
    await engine.poll();
    await session.flush();
    await clock.advance(30_000);
    await engine.poll();
    await session.stop();
    const changed = events.filter((e) => e.type === 'plan.changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ gates: [{ key: 'post-deploy/low-confidence-queue', changes: ['fail > 1000 → > 5000'] }] });
    expect(engine.getState().events.filter((e) => e.type === 'session.note').map((e) => (e as { text: string }).text).at(-1)).toMatch(/low-confidence-queue fail > 1000 → > 5000 \(the plan file was edited while this session runs; it still judges by the plan it loaded: reopen to apply the edit\)$/);
    expect(session.extras().banner).toBe('plan changed since the window opened: post-deploy/low-confidence-queue');
    expect((await audit()).filter((l) => l.action === 'plan-changed')).toEqual([expect.objectContaining({ result: 'loaded', details: expect.objectContaining({ gates: [{ key: 'post-deploy/low-confidence-queue', changes: ['fail > 1000 → > 5000'] }] }) })]);
    // The engine still judges by the plan it loaded.
    expect(engine.getState().gates.find((g) => g.id === 'low-confidence-queue')!.fail).toEqual(['> 1000']);
  });

  it('an unchanged plan shows and audits nothing; --prometheus-url style overrides are no change', async () => {
    await validState();
    const loaded = await loadPlan(planFile);
    const moved = { ...loaded, plan: { ...loaded.plan, prometheus: { ...loaded.plan.prometheus!, url: 'http://127.0.0.1:19090' } } };
    const { session, events } = await open({ loaded: moved });
    await session.stop();
    expect(events.some((e) => e.type === 'plan.changed')).toBe(false);
    expect(session.extras().banner).toBeUndefined();
    expect((await audit()).filter((l) => l.action === 'plan-changed')).toEqual([]);
  });
});

describe('state set under operators:', () => {
  it('is refused (exit 3, audited under the OS account, nothing written) for an account the plan does not list, whatever USER says', async () => {
    const me = (await import('node:os')).userInfo().username;
    await writeFile(planFile, `${await readFile(SEED, 'utf8')}\noperators: [release-captain, "group:no-such-group-fd"]\n`);
    const loaded = await loadPlan(planFile);
    const out: string[] = [];
    const code = await runStateSet(loaded, { stage: 'post-deploy', reason: 'deploy finished at 13:10, state file was truncated' }, (l) => out.push(l), { env: { USER: 'release-captain', SUDO_USER: 'release-captain' } });
    expect(code).toBe(3);
    expect(out.join('\n')).toContain(`refused: ${me} is not one of the plan's operators (release-captain, group:no-such-group-fd)`);
    expect(existsSync(statePath())).toBe(false);
    expect((await audit()).at(-1)).toMatchObject({ action: 'state-set', result: 'refused', operator: { user: me }, details: { refusal: expect.stringContaining('not one of the plan') } });

    await writeFile(planFile, `${await readFile(SEED, 'utf8')}\noperators: [${me}]\n`);
    expect(await runStateSet(await loadPlan(planFile), { stage: 'post-deploy', reason: 'deploy finished at 13:10, state file was truncated' }, () => {}, { env: {} })).toBe(0);
    expect((await audit()).at(-1)).toMatchObject({ action: 'state-set', result: 'ok', operator: { user: me } });
  });
});

describe('state set is audited before it changes anything', () => {
  it('writes a started line first: with the audit unwritable nothing is set (exit 1); a kill between the two leaves a started line, never an unaudited change', async () => {
    await validState('pre-deploy', Date.parse('2026-03-01T13:50:00Z'));
    const before = await readFile(statePath(), 'utf8');
    const loaded = await loadPlan(planFile);
    const files = fileStore(loaded);
    const order: string[] = [];
    const failing = {
      ...files,
      state: { location: files.state.location, read: () => files.state.read(), write: async (s: Parameters<typeof files.state.write>[0]) => (order.push('write'), files.state.write(s)) },
      audit: { append: async () => (order.push('audit'), Promise.reject(new Error('disk full'))) },
    };
    const out: string[] = [];
    expect(await runStateSet(loaded, { stage: 'post-deploy', reason: 'deploy finished at 13:10' }, (l) => out.push(l), { env: ENV, store: failing })).toBe(1);
    expect(out.join('\n')).toMatch(/not set: its audit could not be written: disk full/);
    expect(order).toEqual(['audit']);
    expect(await readFile(statePath(), 'utf8')).toBe(before);

    order.length = 0;
    const recording = { ...failing, audit: { append: async (e: Parameters<typeof files.audit.append>[0], o?: Parameters<typeof files.audit.append>[1]) => (order.push(`audit ${e.result}`), files.audit.append(e, o)) } };
    expect(await runStateSet(loaded, { stage: 'post-deploy', reason: 'deploy finished at 13:10' }, () => {}, { env: ENV, store: recording })).toBe(0);
    expect(order).toEqual(['audit started', 'write', 'audit ok']);
    const lines = (await audit()).filter((l) => l.action === 'state-set' && l.reason === 'deploy finished at 13:10');
    expect(lines.map((l) => l.result)).toEqual(['started', 'ok']);
    expect(lines[0]!.details).toEqual(lines[1]!.details);
    expect(lines[0]!.details).toMatchObject({ replaced: { status: 'ok', stageId: 'pre-deploy' } });
    expect((await verifyAudit(auditFile())).ok).toBe(true);
  });
});

describe('a running session looks at the store after each poll', () => {
  it('a state broken or moved on by another process while it runs is shown at the next poll, not only when an action is refused', async () => {
    await validState();
    const { session, engine, events, clock } = await open();
    await engine.poll();
    await session.flush();
    expect(session.extras().banner).toBeUndefined();

    await writeFile(statePath(), '{"version": 2, "stageId": "post-');
    await clock.advance(30_000);
    await engine.poll();
    await session.flush();
    expect(events.filter((e) => e.type === 'state.unusable')).toEqual([expect.objectContaining({ location: statePath(), problem: expect.stringMatching(/not JSON/) })]);
    expect(session.extras().banner).toMatch(/^ROLLOUT STATE UNUSABLE \(unreadable\)/);
    expect(await readFile(statePath(), 'utf8')).toBe('{"version": 2, "stageId": "post-'); // never overwritten

    // Repaired by an operator, at another stage: the refusal is lifted, and the session says the rollout moved.
    await runStateSet(await loadPlan(planFile), { stage: 'pre-deploy', reason: 'the deploy was reverted by hand' }, () => {}, { env: ENV });
    await clock.advance(30_000);
    await engine.poll();
    await session.flush();
    await session.stop();
    expect(session.stateProblem).toBeNull();
    expect(session.extras().banner).toMatch(/^ROLLOUT MOVED in another process: pre-deploy entered .*, saved by alice/);
    expect(JSON.parse(await readFile(statePath(), 'utf8'))).toMatchObject({ stageId: 'pre-deploy', reason: 'the deploy was reverted by hand' });
  });

  it('a session opened on an unusable state acts once an operator has repaired it to where the session is (no reopen needed)', async () => {
    await validState();
    await BROKEN[0]![1]();
    const { session } = await open({ stageId: 'post-deploy' });
    expect(session.stateProblem?.kind).toBe('unreadable');
    await runStateSet(await loadPlan(planFile), { stage: 'post-deploy', reason: 'deploy finished at 13:10, state file was truncated', enteredAt: '2026-03-01T13:10:00Z' }, () => {}, { env: ENV });
    const r = await session.rollback({ reason: 'back out 2.4.1' });
    await session.stop();
    expect(r.ok).toBe(true);
    expect(await ran()).toHaveLength(3);
    expect(JSON.parse(await readFile(statePath(), 'utf8'))).toMatchObject({ stageId: 'post-deploy', rolledBack: true });
  });
});

describe('writing a state', () => {
  it('a writer killed before its rename leaves a .tmp: it never blocks the next write, which removes it (a live writer\'s is kept)', async () => {
    await validState('pre-deploy');
    const { spawnSync } = await import('node:child_process');
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const dead = `${statePath()}.${deadPid}.0badc0de.tmp`;
    const live = `${statePath()}.${process.pid}.12345678.tmp`;
    await writeFile(dead, '{"version": 2, "stageId": "pre-');
    await writeFile(live, '{"version": 2');
    expect(await validState('post-deploy')).toMatchObject({ stageId: 'post-deploy' });
    expect((await readdir(join(dir, 'plans', '.flightdeck'))).sort()).toEqual(['seed-002.yaml.state.json', `seed-002.yaml.state.json.${process.pid}.12345678.tmp`]);
  });
});
