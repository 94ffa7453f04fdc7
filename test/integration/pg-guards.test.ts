/**
 * Two guards for one plan as if on two bastions (two state directories, two guard registries),
 * sharing a REAL PostgreSQL 15 store, watching a simulated fleet scraped by a real Prometheus:
 *  - one leads, one stands by; `flightdeck status` shows the leader, the standby and the lease age;
 *  - kill -9 of the leader: the standby takes over within the lease, and a rollback gate that
 *    fails afterwards rolls back exactly once (the script's runs counted from a file it appends to);
 *  - `audit verify --plan` checks the rows; `audit export` writes JSONL that verifies as a file;
 *    the database password appears in no log, no audit row and no status output.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { GuardClient } from '../../src/guard/client.js';
import { findGuard } from '../../src/guard/record.js';
import { flightdeck } from '../helpers/cli.js';
import { bastionPlanHead, guardStatus, LEASE_MS, until } from '../helpers/guards.js';
import { ERROR_RATE, startLiveFleet, type LiveFleet } from '../helpers/live-fleet.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { killAllIn } from '../helpers/process-table.js';

let live: LiveFleet;
let pg: RunningPostgres;
let dir: string;

beforeAll(async () => {
  [pg, live] = await Promise.all([startPostgres(), startLiveFleet({ nodes: 3, seed: 12 })]);
  dir = await mkdtemp(join(tmpdir(), 'fd-pgguards-'));
  await writeFile(join(dir, 'rollback.sh'), '#!/usr/bin/env bash\necho "run $$ $FLIGHTDECK_REASON" >> "$MARKER_DIR/rollbacks"\nsleep 1\n', { mode: 0o755 });
  await writeFile(
    join(dir, 'plan.yaml'),
    stringify({
      service: 'dhash',
      ...bastionPlanHead(live),
      stages: [
        { id: 'canary-10', gates: [{ id: 'error-rate', query: ERROR_RATE, unit: 'ratio', fail: '> 0.05', for: '2s', onFail: 'rollback' }], rollback: { run: ['./rollback.sh'] } },
        { id: 'full' },
      ],
    }),
  );
}, 60_000);

afterAll(async () => {
  if (dir) killAllIn(dir);
  await live?.stop();
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const bastion = (name: 'a' | 'b') => ({ MARKER_DIR: dir, FD_PG_URL: pg.url, FLIGHTDECK_GUARD_DIR: join(dir, `registry-${name}`) });
const statusOf = (name: 'a' | 'b') => guardStatus(join(dir, 'plan.yaml'), join(dir, `state-${name}`));
const fd = (args: string[], name: 'a' | 'b') => flightdeck(args, { cwd: dir, env: bastion(name), timeoutMs: 90_000 });

it('one leads, one stands by; kill -9 of the leader: the standby takes over within the lease and rolls back exactly once', async () => {
  const a = await fd(['guard', 'plan.yaml', '--state-dir', 'state-a'], 'a');
  expect(a.code, a.stdout + a.stderr).toBe(0);
  const aStatus = await until(async () => ((await statusOf('a'))?.leadership?.role === 'leader' ? statusOf('a') : null), 'guard a to lead');
  const b = await fd(['guard', 'plan.yaml', '--state-dir', 'state-b'], 'b');
  expect(b.code, b.stdout + b.stderr).toBe(0);

  // (1) one leads, one stands by, and both say so.
  const bStatus = await until(async () => {
    const s = await statusOf('b');
    return s?.leadership?.role === 'standby' && s.leadership.leader ? s : null;
  }, 'guard b to stand by');
  expect(bStatus.leadership!.leader!.pid).toBe(aStatus.pid);
  expect(bStatus.leadership!.notActing).toMatch(/stands by: another guard leads this plan/);
  const shown = await until(async () => {
    const r = await fd(['status'], 'a');
    return /standbys: \S+ pid \d+ \(.*state-b\)/.test(r.stdout) ? r : null;
  }, 'status on bastion a to list b as standby');
  expect(shown.stdout).toMatch(/this guard: leader/);
  expect(shown.stdout).toMatch(/leader: \S+ pid \d+ \(.*state-a\), lease renewed \S+ ago/);
  const onB = await fd(['status'], 'b');
  expect(onB.stdout).toMatch(/this guard: standby — this guard stands by/);

  // A command asked of the standby goes to the leader, which answers it (here: a refusal, this stage has no promote).
  const recB = (await findGuard(join(dir, 'plan.yaml'), join(dir, 'state-b')))!;
  const cb = new GuardClient(recB.socket);
  try {
    const answer = await cb.command('promote', { reason: 'asked of the standby' });
    expect(answer.ok).toBe(false);
    expect(answer.refused).toBe('stage canary-10 has no promote action');
  } finally {
    await cb.close();
  }

  // (2) kill -9 of the leader mid-window: the standby leads within the lease.
  process.kill(aStatus.pid, 'SIGKILL');
  const killedAt = Date.now();
  await until(async () => (await statusOf('b'))?.leadership?.role === 'leader', 'guard b to take over', LEASE_MS * 4);
  const takeoverMs = Date.now() - killedAt;
  // Within the lease, plus a renewal tick and the polling of this test.
  expect(takeoverMs).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 2_000);

  // A rollback gate failing afterwards: exactly one rollback, by the new leader.
  await live.fleet.setFault('all', { errorRate: 0.4 });
  await until(async () => (await statusOf('b'))?.rolledBack === true, 'the new leader to roll back', 45_000);
  await live.fleet.setFault('all', { errorRate: 0.005 });
  // Give it more polls in which a second rollback could start (the gate still fails for a while).
  const settle = Date.now() + 4_000;
  await until(() => Date.now() > settle, 'a few more polls');
  const runs = (await readFile(join(dir, 'rollbacks'), 'utf8')).trim().split('\n');
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatch(/^run \d+ auto: error-rate failing/);

  // The audit rows: one started and one outcome of the auto-rollback, chained; export verifies as a file.
  const verify = await fd(['audit', 'verify', '--plan', 'plan.yaml'], 'b');
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  expect(verify.stdout).toMatch(/PostgreSQL 127\.0\.0\.1:\d+\/flightdeck flightdeck_audit \(plan dhash\/production\): intact, \d+ line\(s\)/);
  const exported = await fd(['audit', 'export', '--plan', 'plan.yaml', '--out', 'audit.jsonl'], 'b');
  expect(exported.code, exported.stderr).toBe(0);
  const fileCheck = await fd(['audit', 'verify', 'audit.jsonl'], 'b');
  expect(fileCheck.stdout).toMatch(/intact/);
  const rows = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { action: string; result: string; details?: { actionId?: string } });
  const auto = rows.filter((r) => r.action === 'auto-rollback');
  expect(auto.map((r) => r.result)).toEqual(['started', 'ok']);
  expect(auto[0]!.details?.actionId).toBe(auto[1]!.details?.actionId);

  // The password is nowhere: not in the guards' logs, the audit or the status.
  const logs = [await readFile(join(dir, 'state-a', 'plan.yaml.guard.log'), 'utf8'), await readFile(join(dir, 'state-b', 'plan.yaml.guard.log'), 'utf8')];
  for (const text of [...logs, await readFile(join(dir, 'audit.jsonl'), 'utf8'), shown.stdout, onB.stdout, verify.stdout]) expect(text).not.toContain(pg.password);
  expect(logs[1]).toMatch(/leading \(lease token \d+, lease 3000 ms\)/);
}, 120_000);
