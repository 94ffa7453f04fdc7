/**
 * Several bastions on a REAL PostgreSQL 15: two guards for one plan (two state directories and
 * registries, as on two jump hosts), a simulated fleet scraped by a real Prometheus, real scripts.
 *  - a standby mirrors the leader live (LISTEN/NOTIFY): a client attached to the standby sees a
 *    promote done through the leader — its start, its end and the new stage — within about a second;
 *  - a promote asked of the standby goes to the leader through the database and runs once there, audited
 *    with the account that asked; a rollback asked meanwhile on the leader's bastion is refused;
 *  - with no leader answering, the standby says "no leader reachable" and nothing runs;
 *  - only the leader notifies;
 *  - kill -9 of the leader during a slow rollback, the standby on another bastion (it cannot see the
 *    rollback's processes): it reports the rollback as started there with its outcome unknown and does
 *    not run a second one though the gate fails; the audit has started + outcome once; nothing orphaned.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { EngineEvent, EngineState } from '../../src/engine/types.js';
import { GuardClient } from '../../src/guard/client.js';
import { findGuard } from '../../src/guard/record.js';
import { flightdeck } from '../helpers/cli.js';
import { auditRows, bastionPlanHead, guardCommand, guardStatus, leaderAndStandby, LEASE_MS, postgresAndFleetPerFile, until } from '../helpers/guards.js';
import { ERROR_RATE } from '../helpers/live-fleet.js';
import { processGroupAlive } from '../../src/actions/lock.js';
import { pidIn, processesIn } from '../helpers/process-table.js';

let dir: string;

const servers = postgresAndFleetPerFile({ nodes: 2, seed: 21 }, () => dir);

type Bastion = 'a' | 'b';
const plan = () => join(dir, 'plan.yaml');
const stateDir = (b: Bastion) => join(dir, `state-${b}`);
// Two bastions by name too: the store judges a lock row's processes by pid only on the bastion that wrote it.
const env = (b: Bastion, extra: Record<string, string> = {}) => ({ MARKER_DIR: dir, FD_PG_URL: servers.pg.url, FLIGHTDECK_GUARD_DIR: join(dir, `registry-${b}`), FLIGHTDECK_BASTION: `bastion-${b}`, ...extra });
const fd = (args: string[], b: Bastion, extra: Record<string, string> = {}) => flightdeck(args, { cwd: dir, env: env(b, extra), timeoutMs: 90_000 });
const statusOf = (b: Bastion) => guardStatus(plan(), stateDir(b));

async function setup(service: string, extra: Record<string, unknown> = {}): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'fd-pgbast-'));
  await writeFile(join(dir, 'promote.sh'), '#!/usr/bin/env bash\necho "promote $$ $FLIGHTDECK_OPERATOR" >> "$MARKER_DIR/promotes"\necho "promoting"\nsleep "${PROMOTE_S:-0.5}"\n', { mode: 0o755 });
  await writeFile(join(dir, 'rollback.sh'), '#!/usr/bin/env bash\necho "rollback $$" >> "$MARKER_DIR/rollbacks"\n', { mode: 0o755 });
  await writeFile(join(dir, 'slow.sh'), '#!/usr/bin/env bash\necho $$ > "$MARKER_DIR/slow.pid"\necho "start $FLIGHTDECK_REASON" >> "$MARKER_DIR/order"\nsleep "${SLOW_S:-1}"\necho "done $FLIGHTDECK_REASON" >> "$MARKER_DIR/order"\n', { mode: 0o755 });
  await writeFile(
    plan(),
    stringify({
      service,
      ...bastionPlanHead(servers.live),
      stages: [
        { id: 'canary-10', gates: [{ id: 'error-rate', query: ERROR_RATE, unit: 'ratio', fail: '> 0.5', onFail: 'rollback' }], promote: { run: ['./promote.sh'] }, rollback: { run: ['./rollback.sh'] } },
        { id: 'full', rollback: { run: ['./rollback.sh'] } },
      ],
      ...extra,
    }),
  );
}

/** Guard a leads, guard b stands by (both told so by the database). */
async function twoGuards(extra: Record<string, string> = {}): Promise<void> {
  await leaderAndStandby((b) => fd(['guard', 'plan.yaml', '--state-dir', `state-${b}`], b, extra), statusOf);
}

/** A client attached to a guard's stream: the state and events it was sent, with when each came. */
async function attach(b: Bastion): Promise<{ state: () => EngineState | null; events: Array<{ e: EngineEvent; at: number }>; extras: () => Record<string, unknown> | null; close(): Promise<void> }> {
  const rec = (await findGuard(plan(), stateDir(b)))!;
  const client = new GuardClient(rec.socket);
  const abort = new AbortController();
  let state: EngineState | null = null;
  let extras: Record<string, unknown> | null = null;
  const events: Array<{ e: EngineEvent; at: number }> = [];
  const streaming = client
    .stream((m) => {
      if (m.type === 'snapshot' || m.type === 'state') {
        state = m.state as EngineState;
        extras = m.extras as Record<string, unknown>;
      } else if (m.type === 'event') events.push({ e: m.event as EngineEvent, at: Date.now() });
    }, abort.signal)
    .catch(() => undefined);
  await until(() => state !== null, `the snapshot of guard ${b}`);
  return {
    state: () => state,
    extras: () => extras,
    events,
    async close() {
      abort.abort();
      await streaming;
      await client.close();
    },
  };
}

/** Guard a leads and sees its gate ok; a client is attached to guard b, the standby. */
async function leaderWithClientOnStandby(service: string, extra: Record<string, string>): Promise<Awaited<ReturnType<typeof attach>>> {
  await setup(service);
  await twoGuards(extra);
  await until(async () => (await statusOf('a'))?.gates.ok === 1, 'the leader to see its gate ok');
  return attach('b');
}

it('a client attached to the standby sees a promote done through the leader: its start, end and the new stage, within about a second', async () => {
  const onB = await leaderWithClientOnStandby('mirror', { PROMOTE_S: '1.5' });
  try {
    expect(onB.state()!.stages[onB.state()!.stageIndex]!.id).toBe('canary-10');
    const asked = guardCommand(plan(), stateDir('a'), 'promote', { reason: 'mirror check' });
    // While it runs, the standby shows it running (the holder shown everywhere).
    await until(() => (onB.extras()?.action as { kind?: string } | null)?.kind === 'promote', 'the standby to show the promote running', 10_000);
    const answer = await asked;
    expect(answer.ok, JSON.stringify(answer)).toBe(true);
    const answeredAt = Date.now();
    await until(() => onB.state()!.stages[onB.state()!.stageIndex]!.id === 'full', 'the standby to show stage full', 10_000);
    const movedAt = Date.now();
    await until(() => onB.events.some((x) => x.e.type === 'action.finished'), 'the promote\'s end on the standby', 10_000);
    const started = onB.events.find((x) => x.e.type === 'action.started')!;
    expect(started.e).toMatchObject({ type: 'action.started', action: 'promote', stageId: 'canary-10', reason: 'mirror check' });
    expect(onB.events.some((x) => x.e.type === 'action.output' && x.e.text === 'promoting')).toBe(true);
    const finished = onB.events.find((x) => x.e.type === 'action.finished')!;
    expect(finished.e).toMatchObject({ action: 'promote', ok: true });
    // Live, not at the standby's next look at the store (every 5 s): within about a second of the answer.
    console.log(`figures: standby shows the new stage ${movedAt - answeredAt} ms and the promote's end ${finished.at - answeredAt} ms after the leader answered`);
    expect(movedAt - answeredAt).toBeLessThan(1_500);
    expect(finished.at - answeredAt).toBeLessThan(1_500);
    expect(onB.extras()?.action ?? null).toBeNull();
    // The standby's own status says the same stage.
    expect((await statusOf('b'))?.stage).toBe('full');
  } finally {
    await onB.close();
  }
}, 120_000);

const lines = async (name: string) => (existsSync(join(dir, name)) ? (await readFile(join(dir, name), 'utf8')).trim().split('\n').filter(Boolean) : []);

it('a promote asked of the standby runs once, on the leader, as the account that asked; one action at a time across both bastions', async () => {
  const onB = await leaderWithClientOnStandby('routed', { PROMOTE_S: '2' });
  try {
    const asked = guardCommand(plan(), stateDir('b'), 'promote', { reason: 'asked on bastion b' });
    await until(async () => (await lines('promotes')).length === 1, 'the promote script to start');
    // Meanwhile a rollback asked on the leader's own bastion is refused: the promote holds the one action.
    const meanwhile = await guardCommand(plan(), stateDir('a'), 'rollback', { reason: 'asked on bastion a meanwhile' });
    expect(meanwhile.ok).toBe(false);
    expect(meanwhile.refused).toMatch(/promote by \S+ running for \d+ s: wait for it to finish/);
    const answer = await asked;
    expect(answer.ok, JSON.stringify(answer)).toBe(true);
    expect(answer.summary).toBeTruthy();
    expect(answer.steps?.map((s) => s.status)).toEqual(['ok']);
    // The script ran once, and on the leader: its parent was guard a.
    expect(await lines('promotes')).toHaveLength(1);
    expect(await lines('rollbacks')).toHaveLength(0);
    await until(() => onB.state()!.stages[onB.state()!.stageIndex]!.id === 'full', 'the standby to show stage full', 10_000);
    expect((await statusOf('a'))?.stage).toBe('full');
  } finally {
    await onB.close();
  }
  const rows = await auditRows(servers.pg.url, 'routed');
  const promotes = rows.filter((r) => r.action === 'promote');
  expect(promotes.map((r) => r.result)).toEqual(['started', 'ok']);
  expect(promotes[0]!.reason).toBe('asked on bastion b');
  expect(promotes[0]!.operator?.user).toBe(userInfo().username);
  expect(promotes[0]!.details?.pid).toBe((await statusOf('a'))!.pid);
  expect(rows.filter((r) => r.action === 'rollback').map((r) => r.result)).toEqual(['refused']);
  const logB = await readFile(join(stateDir('b'), 'plan.yaml.guard.log'), 'utf8');
  expect(logB).toMatch(/promote by \S+ handed to the leader \(\S+ pid \d+\) as command \d+/);
  const logA = await readFile(join(stateDir('a'), 'plan.yaml.guard.log'), 'utf8');
  expect(logA).toMatch(/promote asked on another bastion by \S+@\S+ \(command \d+\)/);
}, 120_000);

it('no leader reachable: a standby says so and nothing runs (the command is withdrawn, not left for later)', async () => {
  await setup('nolead');
  // A leader on another bastion that holds the lease but does not answer (its host is cut off).
  const sql = postgres(servers.pg.url, { max: 1, onnotice: () => undefined });
  try {
    const b = await fd(['guard', 'plan.yaml', '--state-dir', 'state-b'], 'b');
    expect(b.code, b.stdout + b.stderr).toBe(0);
    // The guard leads at once when alone; the lease is then handed to the silent leader.
    await until(async () => (await statusOf('b'))?.leadership !== undefined, 'guard b to answer');
    await sql`insert into flightdeck_lease (plan_key, token, guard_id, host, pid, state_dir, acquired_at, renewed_at, expires_at)
              values ('nolead/production', nextval('flightdeck_fence'), 'far-away:4242:abc', 'far-away', 4242, '/srv/fd', now(), now(), now() + interval '1 hour')
              on conflict (plan_key) do update set token = excluded.token, guard_id = excluded.guard_id, host = excluded.host, pid = excluded.pid,
                state_dir = excluded.state_dir, renewed_at = now(), expires_at = excluded.expires_at`;
    await until(async () => (await statusOf('b'))?.leadership?.role === 'standby', 'guard b to stand by', 10_000);
    await until(async () => (await statusOf('b'))?.gates.ok === 1, 'guard b to see its gate ok');
    const t0 = Date.now();
    const answer = await guardCommand(plan(), stateDir('b'), 'promote', { reason: 'nobody leads' });
    expect(answer.ok).toBe(false);
    expect(answer.refused).toMatch(/^no leader reachable: the leader \(far-away pid 4242, \/srv\/fd\) did not take the promote within 3 s; nothing was done$/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const left = await sql`select id from flightdeck_commands where plan_key = 'nolead/production'`;
    expect(left).toHaveLength(0);
    expect(await lines('promotes')).toHaveLength(0);
    expect((await statusOf('b'))?.stage).toBe('canary-10');
    // The refusal is audited once, with who asked.
    const refused = (await auditRows(servers.pg.url, 'nolead')).filter((r) => r.action === 'promote');
    expect(refused.map((r) => [r.result, r.operator?.user])).toEqual([['refused', userInfo().username]]);
    expect(refused[0]!.reason).toMatch(/^no leader reachable: /);
  } finally {
    await sql.end({ timeout: 2 });
  }
}, 120_000);

it('only the leader notifies: a promote and the stage it enters are notified once, not once per bastion', async () => {
  await setup('notify', { notify: [{ kind: 'file', path: 'notified.jsonl' }] });
  await twoGuards();
  await until(async () => (await statusOf('a'))?.gates.ok === 1 && (await statusOf('b'))?.gates.ok === 1, 'both guards to see the gate ok');
  const onB = await attach('b');
  try {
    const answer = await guardCommand(plan(), stateDir('a'), 'promote', { reason: 'notify once' });
    expect(answer.ok, JSON.stringify(answer)).toBe(true);
    // The standby has mirrored all of it (the events it would have notified a second time).
    await until(() => onB.state()!.stages[onB.state()!.stageIndex]!.id === 'full' && onB.events.some((x) => x.e.type === 'action.finished'), 'the standby to mirror the promote', 10_000);
  } finally {
    await onB.close();
  }
  const read = async () => (await lines('notified.jsonl')).map((l) => JSON.parse(l) as { event: string; title: string });
  await until(async () => (await read()).some((n) => n.event === 'action.finished'), 'the promote\'s end to be notified', 10_000);
  // Both guards' notifiers write to this one file: a second writer's copy would land within a moment.
  const settle = Date.now() + 2_000;
  await until(() => Date.now() > settle, 'a moment for a duplicate to show');
  const notes = await read();
  const counts = new Map<string, number>();
  for (const n of notes) counts.set(`${n.event} ${n.title}`, (counts.get(`${n.event} ${n.title}`) ?? 0) + 1);
  expect(counts.get('action.started notify: promote of canary-10 started')).toBe(1);
  expect([...counts.entries()].filter(([k]) => k.startsWith('action.finished'))).toHaveLength(1);
  expect([...counts.entries()].filter(([, n]) => n > 1)).toEqual([]);
}, 120_000);

it('kill -9 of the leader during a slow rollback, seen from another bastion: reported as outcome unknown, not run again; audited once; nothing orphaned', async () => {
  await setup('remote', {
    stages: [
      { id: 'canary-10', gates: [{ id: 'error-rate', query: ERROR_RATE, unit: 'ratio', fail: '> 0.5', onFail: 'rollback' }], rollback: { run: ['./slow.sh'] } },
      { id: 'full' },
    ],
  });
  await twoGuards({ SLOW_S: '12' });
  const leaderPid = (await statusOf('a'))!.pid;
  const standbyPid = (await statusOf('b'))!.pid;
  const first = guardCommand(plan(), stateDir('a'), 'rollback', { reason: 'first' }).catch((err: Error) => ({ ok: false, refused: err.message }));
  const pgid = await pidIn(join(dir, 'slow.pid'), 20_000);
  try {
    // The gate fails while it runs: whoever leads next would roll back on its own.
    await servers.live.fleet.setFault('all', { errorRate: 0.9 });
    await until(async () => (await statusOf('b'))?.gates.failing === 1, 'the standby to see the gate failing', 30_000);
    expect(processGroupAlive(pgid)).toBe(true);
    process.kill(leaderPid, 'SIGKILL');
    await first;
    await until(async () => (await statusOf('b'))?.leadership?.role === 'leader', 'guard b to take over', LEASE_MS * 4);
    const logB = join(stateDir('b'), 'plan.yaml.guard.log');
    await until(async () => /rollback started by \S+ through the guard on bastion-a \(pid \d+\), outcome unknown/.test(await readFile(logB, 'utf8')), 'guard b to report the rollback as outcome unknown', 10_000);
    // The rule is noted first; the failing gate's request is answered once the abandoned action's end is audited.
    await until(async () => /auto-rollback withheld/.test(await readFile(logB, 'utf8')), 'guard b to withhold the auto-rollback', 10_000);
    expect(processGroupAlive(pgid)).toBe(true);
    await until(() => !processGroupAlive(pgid), 'the first rollback\'s script to end', 30_000);
    // A few more polls with the gate failing, in which a second rollback could start.
    const settle = Date.now() + 3_000;
    await until(() => Date.now() > settle, 'a few more polls');
  } finally {
    await servers.live.fleet.setFault('all', { errorRate: 0.005 });
  }
  expect(await lines('order')).toEqual(['start first', 'done first']);
  const rows = await auditRows(servers.pg.url, 'remote');
  const id = rows.find((r) => r.reason === 'first' && r.result === 'started')?.details?.actionId;
  expect(id).toBeDefined();
  expect(rows.filter((r) => r.details?.actionId === id).map((r) => r.result)).toEqual(['started', 'outcome unknown']);
  expect(rows.filter((r) => r.result === 'started')).toHaveLength(1);
  // Nothing orphaned: the script has ended; what is left of this test is guard b alone.
  expect(processesIn(dir).map((p) => p.pid)).toEqual([standbyPid]);
}, 120_000);
