/**
 * The acting session with real executables (fixtures/actions/marker.sh): what
 * ran is read back from the marker files and the audit log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../src/audit/verify.js';
import { ManualClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { planSchema, type PlanInput } from '../../src/plan/schema.js';
import { keeperFor } from '../../src/cli/open-session.js';
import { Session } from '../../src/session/session.js';
import { runCommand } from '../../src/guard/commands.js';
import { fileStore } from '../../src/store/files.js';
import type { Store } from '../../src/store/store.js';
import { FakeProm, PROM } from '../helpers/engine-fakes.js';
import { ROOT } from '../helpers/cli.js';

const MARKER = `${ROOT}fixtures/actions/marker.sh`;
const SENTINEL = 'SENTINEL-SECRET-4242';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-session-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function plan(extra: Partial<PlanInput> = {}): PlanInput {
  return {
    service: 'dhash',
    prometheus: PROM,
    audit: { file: 'audit.jsonl' },
    logs: { dir: 'logs' },
    stages: [
      {
        id: 'canary-10',
        gates: [{ id: 'err', query: 'err', fail: '> 0.05', onFail: 'rollback' }],
        promote: { run: [MARKER, 'promote-canary', '--to', '50'] },
        rollback: { steps: [{ name: 'mode-warn', run: [MARKER, 'rb-1'] }, { name: 'previous-tag', run: [MARKER, 'rb-2'] }] },
      },
      { id: 'full', promote: { run: [MARKER, 'promote-full'] }, rollback: { run: [MARKER, 'rb-full'] } },
    ],
    ...extra,
  };
}

function makeSession(input: PlanInput, o: { readonly?: boolean; autoRollback?: boolean; file?: string; store?: (files: Store) => Store; leader?: boolean } = {}) {
  const clock = new ManualClock();
  const prom = new FakeProm().set('err', 0.01);
  const loaded = { plan: planSchema.parse(input), file: o.file ?? join(dir, 'plan.yaml'), dir };
  const engine = new Engine({ loaded, clock, prometheus: prom, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
  const env = { MARKER_DIR: dir, PATH: process.env.PATH!, API_KEY: SENTINEL };
  const store = o.store ? o.store(fileStore(loaded)) : undefined;
  const session = new Session({
    loaded,
    runtime: { engine, clock, close: async () => {} },
    env,
    operator: { user: 'alice', host: 'bastion', sshClient: '203.0.113.7' },
    readonly: o.readonly ?? false,
    dryRun: false,
    autoRollback: o.autoRollback ?? true,
    secrets: [SENTINEL],
    ...(store ? { store } : {}),
    // A guard leading several bastions: it may act, and keeps the rollout's state in the store.
    ...(store && o.leader ? { mayAct: () => null, rollout: keeperFor(store, engine, loaded, { status: 'none', location: store.state.location }) } : {}),
  });
  return { session, engine, prom, clock, store };
}

async function order(): Promise<string[]> {
  return existsSync(join(dir, 'order')) ? (await readFile(join(dir, 'order'), 'utf8')).trim().split('\n') : [];
}

async function auditLines(): Promise<Array<Record<string, unknown>>> {
  return (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
}

describe('promote', () => {
  it('runs the current stage\'s promote script, enters the next stage and audits it', async () => {
    const { session, engine } = makeSession(plan());
    await engine.poll();
    const out = await session.promote();
    expect(out.ok).toBe(true);
    expect(await order()).toEqual(['promote-canary']);
    const marker = await readFile(join(dir, 'promote-canary'), 'utf8');
    expect(marker).toMatch(/args: promote-canary --to 50/);
    expect(marker).toMatch(/FLIGHTDECK_ACTION=promote/);
    expect(marker).toMatch(/FLIGHTDECK_STAGE=canary-10/);
    expect(marker).toMatch(/FLIGHTDECK_TARGET_STAGE=full/);
    expect(marker).toMatch(/FLIGHTDECK_OPERATOR=alice/);
    expect(engine.getState().stages.map((s) => s.status)).toEqual(['done', 'current']);
    const audit = await auditLines();
    expect(audit.at(-1)).toMatchObject({ action: 'promote', stage: 'canary-10', result: 'ok', operator: { user: 'alice', host: 'bastion', sshClient: '203.0.113.7' } });
    expect((await verifyAudit(join(dir, 'audit.jsonl'))).ok).toBe(true);
  });

  it('refuses to promote past a blocking gate without an override, and the refusal is audited', async () => {
    const { session, engine, prom } = makeSession(plan(), { autoRollback: false });
    prom.set('err', 0.5);
    await engine.poll();
    const out = await session.promote();
    expect(out).toMatchObject({ ok: false });
    expect(!out.ok && out.refused).toMatch(/canary-10 is not promotable \(err failing 0\.5 \(threshold > 0\.05, failing for 0s\)\)/);
    expect(await order()).toEqual([]);
    expect((await auditLines()).at(-1)).toMatchObject({ action: 'promote', result: 'refused' });
  });

  it('a refusal names value, threshold and how long the gate has failed; its audit keeps the operator\'s reason beside the refusal', async () => {
    const { session, engine, prom, clock } = makeSession(plan(), { autoRollback: false });
    prom.set('err', 0.5);
    await engine.poll();
    await clock.advance(192_000);
    await engine.poll();
    const out = await session.promote({ reason: 'CAB-1234 approved window' });
    expect(!out.ok && out.refused).toMatch(/err failing 0\.5 \(threshold > 0\.05, failing for 3m12s\)/);
    expect(out).toMatchObject({ ok: false, blocked: true });
    const last = (await auditLines()).at(-1)!;
    expect(last).toMatchObject({ action: 'promote', result: 'refused', reason: 'CAB-1234 approved window' });
    expect((last.details as { refusal: string }).refusal).toMatch(/^canary-10 is not promotable \(err failing 0\.5/);
  });

  it('an override without a reason is refused; with a reason and acknowledgement it runs and is audited with the seed 004 fields', async () => {
    const { session, engine, prom } = makeSession(plan(), { autoRollback: false });
    prom.set('err', 0.5);
    await engine.poll();
    const noReason = await session.promote({ override: { reason: '', acknowledged: true } });
    expect(!noReason.ok && noReason.refused).toMatch(/at least 10 characters/);
    const noAck = await session.promote({ override: { reason: 'customer escalation, approved by SRE lead', acknowledged: false } });
    expect(!noAck.ok && noAck.refused).toMatch(/not acknowledged/);
    expect(await order()).toEqual([]);
    const ok = await session.promote({ override: { reason: 'customer escalation, approved by SRE lead', acknowledged: true } });
    expect(ok.ok).toBe(true);
    expect(await order()).toEqual(['promote-canary']);
    const audit = await auditLines();
    const override = audit.find((l) => l.action === 'override');
    expect(override).toMatchObject({ override: { manual_override: true, override_acknowledged: true, override_reason: 'customer escalation, approved by SRE lead' }, details: { blockers: ['err'] } });
    expect(engine.getState().events.some((e) => e.type === 'override')).toBe(true);
  });

  it('a refusal is answered although its audit row cannot be written yet (the store hangs, as PostgreSQL away does); the write is tried', async () => {
    let appends = 0;
    const hanging = (files: Store): Store => ({ ...files, audit: { ...files.audit, append: () => (appends++, new Promise<never>(() => undefined)) } });
    const { session } = makeSession(plan(), { readonly: true, store: hanging });
    const late = new Promise<'no answer'>((r) => setTimeout(() => r('no answer'), 8_000).unref());
    expect(await Promise.race([session.rollback({ reason: 'x' }), late])).toMatchObject({ ok: false, refused: expect.stringMatching(/read-only/) });
    expect(appends).toBe(1);
  });

  it('a read-only session never runs anything', async () => {
    const { session, engine } = makeSession(plan(), { readonly: true });
    await engine.poll();
    expect(await session.promote()).toMatchObject({ ok: false, refused: expect.stringMatching(/read-only/) });
    expect(await session.rollback({ reason: 'x' })).toMatchObject({ ok: false, refused: expect.stringMatching(/read-only/) });
    expect(await order()).toEqual([]);
  });
});

describe('rollback', () => {
  it('runs the ordered playbook and marks the stage rolled back', async () => {
    const { session, engine } = makeSession(plan());
    await engine.poll();
    const out = await session.rollback({ reason: 'manual: error budget' });
    expect(out.ok).toBe(true);
    expect(await order()).toEqual(['rb-1', 'rb-2']);
    expect(engine.getState().stages[0]!.status).toBe('rolled back');
    expect((await auditLines()).at(-1)).toMatchObject({ action: 'rollback', result: 'ok', steps: [{ name: 'mode-warn', status: 'ok', exitCode: 0 }, { name: 'previous-tag', status: 'ok', exitCode: 0 }] });
  });

  it('an unknown optional step name is refused with the playbook\'s step names; nothing runs', async () => {
    const { session, engine } = makeSession(plan());
    await engine.poll();
    const out = await session.rollback({ reason: 'restore it', includeOptional: ['previous-tagg'] });
    expect(!out.ok && out.refused).toBe('no step named "previous-tagg" in the rollback of canary-10; its steps: "mode-warn", "previous-tag"');
    expect(await order()).toEqual([]);
    expect((await auditLines()).at(-1)).toMatchObject({ action: 'rollback', result: 'refused', reason: 'restore it' });
  });

  it('quitting while a step runs aborts it: the audit says aborted and by what', async () => {
    const { session, engine } = makeSession(plan({ stages: [{ id: 'canary-10', promote: { run: [MARKER, 'p'] }, rollback: { steps: [{ name: 'hangs', run: ['sleep', '30'] }] } }] }));
    await engine.poll();
    const running = session.rollback({ reason: 'stop it' });
    for (let i = 0; i < 100 && !session.actionRunning; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    await session.stop();
    const out = await running;
    expect(out.ok).toBe(false);
    expect((await auditLines()).at(-1)).toMatchObject({ action: 'rollback', result: 'aborted', reason: 'stop it', details: { abortedBy: 'flightdeck is quitting' } });
  });

  it('auto-rollback runs exactly once when a rollback gate fails, however many polls see it failing', async () => {
    const { session, engine, prom } = makeSession(plan());
    session.start();
    prom.set('err', 0.5);
    for (let i = 0; i < 5; i++) {
      await engine.poll();
      for (let j = 0; j < 20 && session.actionRunning; j++) await new Promise((r) => setTimeout(r, 25));
    }
    await session.stop();
    expect(await order()).toEqual(['rb-1', 'rb-2']);
    const audit = await auditLines();
    // One action: its write-ahead line and its result, paired by actionId.
    const lines = audit.filter((l) => l.action === 'auto-rollback');
    expect(lines.map((l) => l.result)).toEqual(['started', 'ok']);
    expect((lines[0]!.details as { actionId: string }).actionId).toBe((lines[1]!.details as { actionId: string }).actionId);
    expect(lines[0]!.reason).toMatch(/auto: err failing/);
    expect(engine.getState().stages[0]!.status).toBe('rolled back');
  });

  it('with --no-auto-rollback a failing rollback gate raises a critical alert instead', async () => {
    const { session, engine, prom } = makeSession(plan(), { autoRollback: false });
    session.start();
    prom.set('err', 0.5);
    await engine.poll();
    await session.stop();
    expect(await order()).toEqual([]);
    const alert = engine.getState().events.find((e) => e.type === 'alert.firing' && e.name === 'auto-rollback disabled');
    expect(alert).toMatchObject({ severity: 'critical' });
  });
});

describe('an action confirmed for a stage the rollout has left', () => {
  it('is refused, runs nothing and is audited, for promote and rollback alike; confirmed for the stage it is at, it runs', async () => {
    const { session, engine } = makeSession(plan());
    await engine.poll();
    // The operator's dialog showed canary-10; meanwhile the rollout was promoted (another operator, the CLI).
    expect((await session.promote({ stageId: 'canary-10' })).ok).toBe(true);
    expect(engine.getState().stages.map((s) => s.status)).toEqual(['done', 'current']);
    for (const act of [() => session.promote({ stageId: 'canary-10', reason: 'go' }), () => session.rollback({ stageId: 'canary-10', reason: 'errors up' })]) {
      const out = await act();
      expect(!out.ok && out.refused).toMatch(/^the rollout is at full now, not canary-10 as confirmed \(it moved meanwhile\): nothing was done/);
    }
    // The same through a guard's command (what an attached cockpit sends, over the socket or a standby's row).
    const viaGuard = await runCommand(session, 'rollback', { stageId: 'canary-10', reason: 'errors up' }, { user: 'bob', host: 'bastion-2' });
    expect(viaGuard).toMatchObject({ ok: false, refused: expect.stringMatching(/^the rollout is at full now, not canary-10/) });
    expect(await order()).toEqual(['promote-canary']);
    const refusals = (await auditLines()).filter((l) => l.result === 'refused');
    expect(refusals.map((l) => [l.action, l.stage])).toEqual([
      ['promote', 'full'],
      ['rollback', 'full'],
      ['rollback', 'full'],
    ]);
    expect((await session.rollback({ stageId: 'full', reason: 'errors up' })).ok).toBe(true);
    expect(await order()).toEqual(['promote-canary', 'rb-full']);
    expect((await verifyAudit(join(dir, 'audit.jsonl'))).ok).toBe(true);
  });
});

describe('a rollback confirmed for a stage that has been rolled back since', () => {
  it('is refused and runs nothing, directly and through the guard; asked knowing it was rolled back, it runs again', async () => {
    const { session, engine } = makeSession(plan());
    await engine.poll();
    // The operator's dialog showed canary-10 not rolled back; meanwhile the guard (or another operator) rolled it back.
    expect((await session.rollback({ reason: 'auto: error-rate' })).ok).toBe(true);
    expect(engine.getState().stages[0]!.status).toBe('rolled back');
    const out = await session.rollback({ stageId: 'canary-10', expectNotRolledBack: true, reason: 'errors up' });
    expect(!out.ok && out.refused).toBe('canary-10 was rolled back meanwhile (another operator, or the guard on its own): nothing was run again; look again, and confirm a new rollback to run its steps once more');
    const viaGuard = await runCommand(session, 'rollback', { stageId: 'canary-10', expectNotRolledBack: true, reason: 'errors up' }, { user: 'bob', host: 'bastion-2' });
    expect(viaGuard).toMatchObject({ ok: false, refused: expect.stringMatching(/^canary-10 was rolled back meanwhile/) });
    expect(await order()).toEqual(['rb-1', 'rb-2']);
    expect((await auditLines()).filter((l) => l.result === 'refused').map((l) => [l.action, l.stage])).toEqual([
      ['rollback', 'canary-10'],
      ['rollback', 'canary-10'],
    ]);
    // A dialog opened on the rolled-back stage says so, and asks without the condition: the steps run again.
    expect((await session.rollback({ stageId: 'canary-10', reason: 'once more' })).ok).toBe(true);
    expect(await order()).toEqual(['rb-1', 'rb-2', 'rb-1', 'rb-2']);
    expect((await verifyAudit(join(dir, 'audit.jsonl'))).ok).toBe(true);
  });
});

describe('an override confirmed over some blockers when another blocks by then', () => {
  it('is refused and runs nothing, directly and through the guard; confirmed over every blocker, it runs', async () => {
    const input = plan();
    input.stages[0]!.gates = [
      { id: 'go-live', manual: { item: 'go-live approved' }, onFail: 'block' },
      { id: 'dba-check', manual: { item: 'the DBA looked at the migration' }, onFail: 'block' },
    ];
    const { session, engine } = makeSession(input);
    await engine.poll();
    expect(engine.getState().stages[0]!.blockers.map((b) => b.gateId)).toEqual(['go-live', 'dba-check']);
    // The operator's dialog showed go-live alone blocking (dba-check came after it opened).
    const override = { reason: 'go-live list checked by phone', acknowledged: true, blockers: ['go-live'] };
    const out = await session.promote({ stageId: 'canary-10', override });
    expect(!out.ok && out.refused).toMatch(/^dba-check \(pending[^)]*\) blocks now, which the override confirmed did not show: nothing was done; look again and confirm the override for it too$/);
    const viaGuard = await runCommand(session, 'promote', { stageId: 'canary-10', override }, { user: 'bob', host: 'bastion-2' });
    expect(viaGuard).toMatchObject({ ok: false, refused: expect.stringMatching(/^dba-check \(pending[^)]*\) blocks now/) });
    // A malformed list is no override at all: refused as not promotable, never promoted over everything.
    const malformed = await runCommand(session, 'promote', { stageId: 'canary-10', override: { ...override, blockers: 'go-live' } }, { user: 'bob', host: 'bastion-2' });
    expect(malformed).toMatchObject({ ok: false, refused: expect.stringMatching(/is not promotable/) });
    expect(await order()).toEqual([]);
    expect(engine.getState().stages[0]!.status).toBe('current');
    expect((await session.promote({ stageId: 'canary-10', override: { ...override, blockers: ['go-live', 'dba-check'] } })).ok).toBe(true);
    expect(await order()).toEqual(['promote-canary']);
    expect((await verifyAudit(join(dir, 'audit.jsonl'))).ok).toBe(true);
  });
});

describe('a sign-off given for a stage the rollout has left', () => {
  it('is refused and recorded nowhere, directly and through the guard; given for the current stage it counts', async () => {
    const input = plan();
    const go = { id: 'go-live', manual: { item: 'go-live approved' }, onFail: 'block' as const };
    input.stages[0]!.gates = [...(input.stages[0]!.gates ?? []), go];
    input.stages[1]!.gates = [go];
    const { session, engine } = makeSession(input);
    await engine.poll();
    expect((await session.promote({ override: { reason: 'moving on for this test', acknowledged: true } })).ok).toBe(true);
    // A dialog opened on canary-10's go-live gate; the rollout is at full now, whose gate has the same id.
    expect(() => session.signoff('go-live', 'checked', { stageId: 'canary-10' })).toThrow(/^the rollout is at full now, not canary-10 as confirmed/);
    expect(await runCommand(session, 'signoff', { gateId: 'go-live', note: 'checked', stageId: 'canary-10' }, { user: 'bob', host: 'bastion-2' })).toMatchObject({ ok: false, refused: expect.stringMatching(/^the rollout is at full now/) });
    await engine.poll();
    expect(engine.getState().gates.find((g) => g.id === 'go-live')?.signoff).toBeUndefined();
    expect((await auditLines()).filter((l) => l.action === 'signoff')).toEqual([]);
    session.signoff('go-live', 'checked the list', { stageId: 'full' });
    await engine.poll();
    expect(engine.getState().gates.find((g) => g.id === 'go-live')?.signoff).toMatchObject({ operator: 'alice' });
    // Its audit line (written after the sign-off is taken) is the only one.
    for (let i = 0; i < 100 && (await auditLines()).every((l) => l.action !== 'signoff'); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await auditLines()).filter((l) => l.action === 'signoff').map((l) => [l.result, (l.details as { gate: string }).gate])).toEqual([['ok', 'go-live']]);
  });
});

describe('one action at a time', () => {
  it('a second session on the same plan is told who is running what, and nothing runs twice', async () => {
    await writeFile(join(dir, 'slow.sh'), `#!/usr/bin/env bash\necho "$1" >> "$MARKER_DIR/order"\nsleep 1\n`, { mode: 0o755 });
    const p = plan();
    p.stages[0]!.rollback = { run: [join(dir, 'slow.sh'), 'rollback-run'] };
    const a = makeSession(p);
    const b = makeSession(p);
    await a.engine.poll();
    await b.engine.poll();
    const first = a.session.rollback({ reason: 'first' });
    await new Promise((r) => setTimeout(r, 300));
    const second = await b.session.rollback({ reason: 'second' });
    expect(second).toMatchObject({ ok: false, refused: expect.stringMatching(/^rollback by alice@\S+ running for \d+ s: wait for it to finish$/) });
    expect((await first).ok).toBe(true);
    expect(await order()).toEqual(['rollback-run']);
  });
});

describe('secrets', () => {
  it('a secret in the environment never reaches the audit, even when a script prints it', async () => {
    await writeFile(join(dir, 'leak.sh'), `#!/usr/bin/env bash\necho "key is $API_KEY"\n`, { mode: 0o755 });
    const p = plan();
    p.stages[0]!.promote = { run: [join(dir, 'leak.sh')] };
    const { session, engine } = makeSession(p);
    await engine.poll();
    await session.promote({ reason: `because ${SENTINEL}` });
    const text = await readFile(join(dir, 'audit.jsonl'), 'utf8');
    expect(text).not.toContain(SENTINEL);
    const outputs = engine.getState().events.filter((e) => e.type === 'action.output').map((e) => (e.type === 'action.output' ? e.text : ''));
    expect(outputs.join('\n')).toMatch(/key is/);
    expect(outputs.join('\n')).not.toContain(SENTINEL);
  });
});

describe('write-ahead audit', () => {
  it('the started line (who, why, argv) is on disk before the first step runs; the result line pairs with it', async () => {
    // The step itself reads the audit log: it sees its own started line, and no result yet.
    await writeFile(join(dir, 'peek.sh'), `#!/usr/bin/env bash\ncp "$FLIGHTDECK_PLAN_DIR/audit.jsonl" "$MARKER_DIR/seen-by-step"\n`, { mode: 0o755 });
    const p = plan();
    p.stages[0]!.rollback = { run: [join(dir, 'peek.sh'), '--fast'] };
    const { session, engine } = makeSession(p);
    await engine.poll();
    expect((await session.rollback({ reason: 'error budget' })).ok).toBe(true);
    const seen = (await readFile(join(dir, 'seen-by-step'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ action: 'rollback', result: 'started', reason: 'error budget', operator: { user: 'alice', sshClient: '203.0.113.7' }, details: { argv: [`rollback: ${join(dir, 'peek.sh')} --fast`] } });
    const all = await auditLines();
    expect(all.map((l) => l.result)).toEqual(['started', 'ok']);
    expect((all[1]!.details as { actionId: string }).actionId).toBe((seen[0]!.details as { actionId: string }).actionId);
  });

  it('an action whose started line cannot be written never starts', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'audit.jsonl')); // a directory where the log should be: every append fails
    const { session, engine } = makeSession(plan());
    await engine.poll();
    const out = await session.rollback({ reason: 'x' });
    expect(out).toMatchObject({ ok: false, refused: expect.stringMatching(/^not started: its start could not be written to the audit log/) });
    expect(await order()).toEqual([]);
    expect(engine.getState().events.filter((e) => e.type === 'session.note').map((e) => (e as { text: string }).text).some((t) => /audit write failed \(the action was not started\)/.test(t))).toBe(true);
    expect(engine.getState().events.some((e) => e.type === 'action.started')).toBe(false);
    expect(session.actionRunning).toBeNull();
  });
});

/** Polls `ready` every 25 ms for at most `ms`; what it finds is asserted after. */
async function waitUpTo(ms: number, ready: () => boolean): Promise<void> {
  for (let waited = 0; waited < ms && !ready(); waited += 25) await new Promise((r) => setTimeout(r, 25));
}

/**
 * Runs `test` beside a rollback whose flightdeck died: a lock naming a pid that has exited and a step
 * (`sleep`, its own process group) that runs for `seconds` (0: ended before `test` starts). The step's
 * group is killed afterwards, whatever `test` did.
 */
async function withOrphanedRollback(token: string, seconds: number, o: { auto?: boolean }, test: (orphan: { file: string; step: ChildProcess }) => Promise<void>): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  const { hostname } = await import('node:os');
  const { lockPathFor } = await import('../../src/actions/lock.js');
  const gone = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => gone.on('exit', r));
  const step = spawn('sleep', [String(seconds)], { detached: true, stdio: 'ignore' });
  const ended = new Promise((r) => step.once('exit', r));
  try {
    const file = join(dir, 'plan.yaml');
    await mkdir(join(dir, '.flightdeck'), { recursive: true });
    await writeFile(lockPathFor(file), JSON.stringify({ user: 'bob', host: hostname(), pid: gone.pid, action: 'rollback', startedAt: Date.now() - 5_000, planFile: file, token, stageId: 'canary-10', pgid: step.pid, ...(o.auto ? { auto: true } : {}) }));
    if (seconds === 0) await ended;
    await test({ file, step });
  } finally {
    try {
      process.kill(-step.pid!, 'SIGKILL');
    } catch {
      // ended
    }
  }
}

describe('adopting an action whose flightdeck died', () => {
  it('shows it as running, refuses anything new, audits its end as outcome unknown once its process group ends', async () => {
    const { lockPathFor } = await import('../../src/actions/lock.js');
    await withOrphanedRollback('dead-beef', 1.5, {}, async ({ file, step }) => {
      const { session, engine } = makeSession(plan(), { file });
      await engine.poll();
      session.start();
      await waitUpTo(1_000, () => session.actionRunning !== null);
      expect(session.actionRunning).toMatchObject({ kind: 'rollback', operator: 'bob' });
      const refused = await session.rollback({ reason: 'second' });
      expect(refused).toMatchObject({ ok: false, refused: expect.stringMatching(/^rollback by bob running for \d+ s/) });
      expect(await order()).toEqual([]);
      await waitUpTo(5_000, () => session.actionRunning === null);
      expect(session.actionRunning).toBeNull();
      await waitUpTo(1_000, () => existsSync(join(dir, 'audit.jsonl')));
      const ended = (await auditLines()).find((l) => l.result === 'outcome unknown');
      expect(ended).toMatchObject({ action: 'rollback', stage: 'canary-10', operator: { user: 'bob' }, details: { actionId: 'dead-beef', pgid: step.pid } });
      expect(existsSync(lockPathFor(file))).toBe(false);
      expect(engine.getState().events.filter((e) => e.type === 'session.note').map((e) => (e as { text: string }).text).join('\n')).toMatch(/adopted a running rollback by bob[\s\S]*ended after \d+ s: outcome unknown/);
      expect((await session.rollback({ reason: 'now it may' })).ok).toBe(true);
      await session.stop();
    });
  });
});

describe('after an automatic rollback whose flightdeck died: one rule, whether it had ended or is adopted', () => {
  const alerts = (engine: Engine) => engine.getState().events.filter((e) => e.type === 'alert.firing').map((e) => (e as { name: string }).name);
  for (const [how, seconds] of [
    ['had ended before this session started', 0],
    ['still runs and is adopted', 1],
  ] as const) {
    it(`${how}: a gate still failing does not roll back again on its own ('auto-rollback withheld'); the audit names it auto-rollback`, async () => {
      await withOrphanedRollback(`dead-${seconds}`, seconds, { auto: true }, async ({ file }) => {
        const { session, engine, prom } = makeSession(plan(), { file });
        await engine.poll();
        session.start();
        // Adopted, or its end audited: the session has seen the orphan.
        await waitUpTo(10_000, () => existsSync(join(dir, 'audit.jsonl')) || session.actionRunning !== null);
        prom.set('err', 0.5);
        await engine.poll();
        await waitUpTo(5_000, () => session.actionRunning === null);
        await waitUpTo(5_000, () => alerts(engine).includes('auto-rollback withheld'));
        expect(alerts(engine)).toContain('auto-rollback withheld');
        expect(alerts(engine)).not.toContain('auto-rollback refused');
        expect(await order()).toEqual([]);
        const lines = await auditLines();
        expect(lines.map((l) => `${l.action} ${l.result}`)).toEqual(['auto-rollback outcome unknown']);
        // The operator may still roll back by hand.
        expect((await session.rollback({ reason: 'by hand' })).ok).toBe(true);
        expect(await order()).toEqual(['rb-1', 'rb-2']);
        await session.stop();
      });
    });
  }
});

describe('adopting an action whose flightdeck died, with a store that fails once', () => {
  it("writes the adopted action's outcome row although the store's first write of it failed (a database hiccup): the lock row is gone, so no one else would", async () => {
    await withOrphanedRollback('dead-f00d', 0.5, {}, async ({ file }) => {
      let failed = 0;
      const asked: unknown[] = [];
      const hiccup = (files: Store): Store => ({
        ...files,
        audit: {
          ...files.audit,
          append: (entry, opts) => {
            if (entry.result === 'outcome unknown') asked.push(opts?.once);
            return entry.result === 'outcome unknown' && failed++ === 0 ? Promise.reject(new Error('connection reset by the database')) : files.audit.append(entry, opts);
          },
        },
      });
      const { session, engine } = makeSession(plan(), { file, store: hiccup });
      await engine.poll();
      session.start();
      await waitUpTo(1_000, () => session.actionRunning !== null);
      expect(session.actionRunning).toMatchObject({ kind: 'rollback', operator: 'bob' });
      await waitUpTo(5_000, () => session.actionRunning === null);
      expect(session.actionRunning).toBeNull();
      expect(failed).toBe(2);
      expect((await auditLines()).filter((l) => l.result === 'outcome unknown')).toMatchObject([{ action: 'rollback', details: { actionId: 'dead-f00d' } }]);
      // Each try asks the store to write the line at most once (a reset may have come after the commit).
      expect(asked).toEqual([{ actionId: 'dead-f00d', result: 'outcome unknown' }, { actionId: 'dead-f00d', result: 'outcome unknown' }]);
      await session.stop();
    });
  });
});

describe('a stopping guard', () => {
  it('refuses every new action (asked or automatic), audited with why, and runs nothing', async () => {
    const { session, engine, prom } = makeSession(plan());
    await engine.poll();
    session.refuseNewActions('the guard is stopping (SIGTERM): nothing new starts');
    const out = await session.promote();
    expect(out).toMatchObject({ ok: false, refused: 'the guard is stopping (SIGTERM): nothing new starts' });
    const rb = await session.rollback({ reason: 'by hand' });
    expect(rb).toMatchObject({ ok: false, refused: 'the guard is stopping (SIGTERM): nothing new starts' });
    // A failing rollback gate's auto-rollback is refused the same way.
    const refusals: string[] = [];
    engine.on((e) => {
      if (e.type === 'action.refused') refusals.push(`${e.auto ? 'auto-' : ''}${e.action}`);
    });
    prom.set('err', 0.5);
    for (let i = 0; i < 6 && !refusals.includes('auto-rollback'); i++) {
      await engine.poll();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(refusals).toContain('auto-rollback');
    expect(await order()).toEqual([]);
    // The refusal is shown first, then audited: wait (bounded) for its line.
    let lines = await auditLines();
    for (let i = 0; i < 100 && lines.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      lines = await auditLines();
    }
    expect(lines.map((l) => [l.action, l.result])).toEqual([['promote', 'refused'], ['rollback', 'refused'], ['auto-rollback', 'refused']]);
    await session.stop({ flushMs: 0 });
  });
});

describe('a leading guard and the position another guard saved', () => {
  it("takes a move saved between its catch-up and its check (the old leader's rollback written as the database came back): it acts, not refuses 'reopen'", async () => {
    let arm = false;
    const racing = (files: Store): Store => ({
      ...files,
      state: {
        location: files.state.location,
        write: (st) => files.state.write(st),
        // The first read once armed is answered with what was there; the other guard's write lands just after it.
        read: async () => {
          const r = await files.state.read();
          if (arm && r.status === 'ok') {
            arm = false;
            await files.state.write({ ...r.state, rolledBack: true, by: 'bob@bastion-2', updatedAt: r.state.updatedAt + 1 });
          }
          return r;
        },
      },
    });
    const { session, engine, store } = makeSession(plan(), { store: racing, leader: true });
    await engine.poll();
    // The session's keeper saves the state after the first poll.
    for (let waited = 0; waited < 2_000 && (await store!.state.read()).status !== 'ok'; waited += 25) await new Promise((r) => setTimeout(r, 25));
    expect((await store!.state.read()).status).toBe('ok');
    arm = true;
    const out = await session.rollback({ reason: 'after the outage' });
    expect('refused' in out ? out.refused : undefined).toBeUndefined();
    expect(out.ok).toBe(true);
    expect(arm).toBe(false);
    expect(await order()).toEqual(['rb-1', 'rb-2']);
    expect(engine.getState().rolledBack).toBe(true);
  });
});
