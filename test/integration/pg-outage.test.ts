/**
 * Two guards for one plan (two state directories, as on two bastions) on a REAL PostgreSQL 15:
 *  - kill -9 of the leader during a slow rollback: the standby takes over, does not start a second
 *    rollback while the first one's processes live, adopts and reports it; the audit shows started
 *    + outcome unknown for that action;
 *  - PostgreSQL stopped for ~10 s: the guards keep polling and answering, refuse to act with a clear
 *    reason naming the database, reconnect, one leads again, and no audit row is lost or duplicated.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { stringify } from 'yaml';
import { processGroupAlive } from '../../src/actions/lock.js';
import { flightdeck } from '../helpers/cli.js';
import { auditRows, bastionPlanHead, guardCommand, guardStatus, leaderAndStandby, LEASE_MS, postgresAndFleetPerFile, until } from '../helpers/guards.js';
import { ERROR_RATE } from '../helpers/live-fleet.js';
import { pidIn } from '../helpers/process-table.js';

let dir: string;

const servers = postgresAndFleetPerFile({ nodes: 2, seed: 14 }, () => dir);

async function setup(service: string): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'fd-pgout-'));
  await writeFile(join(dir, 'slow.sh'), '#!/usr/bin/env bash\necho $$ > "$MARKER_DIR/slow.pid"\necho "start $FLIGHTDECK_REASON" >> "$MARKER_DIR/order"\nsleep "${SLOW_S:-1}"\necho "done $FLIGHTDECK_REASON" >> "$MARKER_DIR/order"\n', { mode: 0o755 });
  await writeFile(
    join(dir, 'plan.yaml'),
    stringify({
      service,
      ...bastionPlanHead(servers.live),
      stages: [{ id: 'canary-10', gates: [{ id: 'error-rate', query: ERROR_RATE, unit: 'ratio', fail: '> 0.5', for: '2s', onFail: 'rollback' }], rollback: { run: ['./slow.sh'] } }, { id: 'full' }],
    }),
  );
}

const bastion = (name: 'a' | 'b', extra: Record<string, string> = {}) => ({ MARKER_DIR: dir, FD_PG_URL: servers.pg.url, FLIGHTDECK_GUARD_DIR: join(dir, `registry-${name}`), ...extra });
const statusOf = (name: 'a' | 'b') => guardStatus(join(dir, 'plan.yaml'), join(dir, `state-${name}`));
const command = (name: 'a' | 'b', cmd: string, args: Record<string, unknown>) => guardCommand(join(dir, 'plan.yaml'), join(dir, `state-${name}`), cmd, args);
const fd = (args: string[], name: 'a' | 'b', extra: Record<string, string> = {}) => flightdeck(args, { cwd: dir, env: bastion(name, extra), timeoutMs: 90_000 });

async function twoGuards(extra: Record<string, string> = {}): Promise<{ leader: 'a' | 'b'; standby: 'a' | 'b'; leaderPid: number }> {
  const { leaderPid } = await leaderAndStandby((b) => fd(['guard', 'plan.yaml', '--state-dir', `state-${b}`], b, extra), statusOf);
  return { leader: 'a', standby: 'b', leaderPid };
}

it('kill -9 of the leader during a slow rollback: the standby adopts it, starts no second one, the audit has started + outcome', async () => {
  await setup('slowrb');
  const g = await twoGuards({ SLOW_S: '8' });
  const answer = command('a', 'rollback', { reason: 'first' });
  await until(() => existsSync(join(dir, 'slow.pid')), 'the slow rollback to start');
  const pgid = await pidIn(join(dir, 'slow.pid'));
  // Killed as soon as the script runs, whether or not the lock row names its process group yet: the script's
  // mark (FLIGHTDECK_LOCK_HOLDER) lets the next leader find it either way.
  process.kill(g.leaderPid, 'SIGKILL');
  await answer.catch(() => undefined);
  expect(processGroupAlive(pgid)).toBe(true);

  // The standby leads within the lease and reports the running rollback as adopted.
  const adopted = await until(async () => {
    const s = await statusOf('b');
    return s?.leadership?.role === 'leader' && s.action ? s : null;
  }, 'guard b to lead and adopt the rollback', LEASE_MS * 4);
  expect(adopted.action).toMatchObject({ kind: 'rollback', lastLine: expect.stringMatching(/^adopted: /) });
  // Asked for another rollback while the first one's processes live: refused.
  const second = await command('b', 'rollback', { reason: 'second' });
  expect(second.ok).toBe(false);
  expect(second.refused).toMatch(/rollback by \S+ running for \d+ s/);
  expect(processGroupAlive(pgid)).toBe(true);

  await until(() => !processGroupAlive(pgid), 'the first rollback to end', 30_000);
  await until(async () => (await statusOf('b'))?.action === null, 'guard b to see the adopted rollback end');
  const order = (await readFile(join(dir, 'order'), 'utf8')).trim().split('\n');
  expect(order).toEqual(['start first', 'done first']);
  const started = (await auditRows(servers.pg.url, 'slowrb')).find((r) => r.reason === 'first' && r.result === 'started');
  const id = started?.details?.actionId;
  expect(id).toBeDefined();
  // The adopting guard writes the outcome row, then shows the action ended. Under a loaded machine its
  // status was seen without the action a moment before the row was there (once in a full suite run):
  // wait for the row (bounded) rather than reading once; the rows must still be exactly these.
  const rows = await until(async () => {
    const all = await auditRows(servers.pg.url, 'slowrb');
    return all.some((r) => r.details?.actionId === id && r.result !== 'started') ? all : null;
  }, 'the outcome row of the adopted rollback', 15_000);
  expect(rows.filter((r) => r.details?.actionId === id).map((r) => r.result)).toEqual(['started', 'outcome unknown']);
  expect(rows.filter((r) => r.reason === 'second').map((r) => r.result)).toEqual(['refused']);
  expect((await fd(['audit', 'verify', '--plan', 'plan.yaml'], 'b')).code).toBe(0);
}, 90_000);

it('PostgreSQL stopped ~10 s mid-window: guards keep polling, refuse to act naming the database, reconnect; no audit row lost or duplicated', async () => {
  await setup('outage');
  await twoGuards({ SLOW_S: '3' });
  // A rollback runs when the database goes away: its outcome is written once it is back.
  const inFlight = command('a', 'rollback', { reason: 'before the outage' });
  await until(() => existsSync(join(dir, 'slow.pid')), 'the rollback to start');
  const before = await auditRows(servers.pg.url, 'outage');
  await servers.pg.stopServer();
  const stoppedAt = Date.now();
  try {
    const polls = (await statusOf('a'))!.uptimeMs;
    // Both still answer; the leader refuses to act with the reason, once its lease can no longer be trusted or at once.
    const refused = await until(async () => {
      const r = await command('a', 'rollback', { reason: 'during the outage' });
      return !r.ok && r.refused && /PostgreSQL|lost the store/.test(r.refused) ? r : null;
    }, 'a refusal naming the database during the outage', 8_000);
    expect(refused.refused).toMatch(/PostgreSQL 127\.0\.0\.1:\d+\/flightdeck|lost the store/);
    expect(refused.refused).not.toContain(servers.pg.password);
    const sa = await statusOf('a');
    const sb = await statusOf('b');
    expect(sa && sb).toBeTruthy();
    expect(sa!.uptimeMs).toBeGreaterThan(polls);
    await until(async () => (await statusOf('a'))?.leadership?.notActing?.includes('lost the store'), 'the leader to say it lost the store', 8_000);
    await until(() => Date.now() - stoppedAt > 10_000, 'ten seconds of outage', 12_000);
  } finally {
    await servers.pg.start();
  }
  // Its answer came once its outcome was written (the lock held until then).
  expect((await inFlight).ok).toBe(true);
  // Reconnected: exactly one leads again, and it acts.
  const leader = await until(async () => {
    const [sa, sb] = [await statusOf('a'), await statusOf('b')];
    const leaders = [sa, sb].filter((s) => s?.leadership?.role === 'leader');
    return leaders.length === 1 && ![sa, sb].some((s) => s?.leadership?.notActing?.includes('lost the store')) ? (sa?.leadership?.role === 'leader' ? 'a' : 'b') : null;
  }, 'one guard to lead again', 20_000);
  // The outcome of the rollback that ended during the outage is written once the database is back.
  await until(async () => (await auditRows(servers.pg.url, 'outage')).filter((r) => r.reason === 'before the outage').length === 2, 'the outcome of the rollback that ended during the outage', 20_000);
  const after = await command(leader, 'rollback', { reason: 'after the outage' });
  expect(after.ok, after.refused).toBe(true);
  const rows = await auditRows(servers.pg.url, 'outage');
  expect(rows.slice(0, before.length)).toEqual(before);
  expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
  const reasons = rows.filter((r) => r.result === 'started').map((r) => r.reason);
  expect(reasons).toEqual(['before the outage', 'after the outage']);
  expect(rows.filter((r) => r.reason === 'before the outage').map((r) => r.result)).toEqual(['started', 'ok']);
  expect((await fd(['audit', 'verify', '--plan', 'plan.yaml'], 'a')).code).toBe(0);
  const logs = (await readFile(join(dir, 'state-a', 'plan.yaml.guard.log'), 'utf8')) + (await readFile(join(dir, 'state-b', 'plan.yaml.guard.log'), 'utf8'));
  expect(logs).toMatch(/store reachable again/);
  expect(logs).not.toContain(servers.pg.password);
}, 90_000);
