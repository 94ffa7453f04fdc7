/**
 * The guard for real: the built binary, a simulated fleet scraped by a real
 * Prometheus, real slow scripts, the process table.
 *  - kill -9 of the guard during a slow rollback: no second rollback starts
 *    until the script's process group has ended; the restarted guard adopts
 *    and reports it; the audit keeps started + outcome unknown.
 *  - two clients attached to one guard's stream both see an auto-rollback and
 *    a CLI rollback within one poll interval.
 *  - a user not in `operators:` is refused, and the refusal is audited.
 *  - a guard killed with -9 is replaced within seconds; one that stalls alive keeps its lock.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { processGroupAlive } from '../../src/actions/lock.js';
import { GuardClient } from '../../src/guard/client.js';
import { findGuard } from '../../src/guard/record.js';
import { lockGuard } from '../../src/guard/instance-lock.js';
import { guardPaths } from '../../src/guard/paths.js';
import { BIN, flightdeck } from '../helpers/cli.js';
import { guardStatus, until } from '../helpers/guards.js';
import { ERROR_RATE, startLiveFleet, type LiveFleet } from '../helpers/live-fleet.js';
import { killAllIn, processesIn, pidIn } from '../helpers/process-table.js';

let live: LiveFleet;
let dir: string;
let guardDir: string;

beforeAll(async () => {
  live = await startLiveFleet({ nodes: 3, seed: 10 });
}, 60_000);
afterAll(async () => {
  await live?.stop();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-guard-'));
  guardDir = join(dir, 'guards');
  await writeFile(join(dir, 'slow.sh'), '#!/usr/bin/env bash\necho $$ > "$MARKER_DIR/slow.pid"\necho "start $FLIGHTDECK_REASON" >> "$MARKER_DIR/order"\nsleep "${SLOW_S:-1}"\necho "done $FLIGHTDECK_REASON" >> "$MARKER_DIR/order"\n', { mode: 0o755 });
});
afterEach(async () => {
  killAllIn(dir);
  await rm(dir, { recursive: true, force: true });
});

function writePlan(extra: Record<string, unknown> = {}): Promise<void> {
  return writeFile(
    join(dir, 'plan.yaml'),
    stringify({
      service: 'dhash',
      prometheus: { url: live.prom.url, timeout: '2s' },
      nodes: live.fleet.planNodes(),
      polling: { window: '60m', phases: [{ every: '2s' }], hot: '1s', jitter: 0 },
      audit: { file: 'audit.jsonl' },
      logs: { dir: 'logs' },
      stages: [
        {
          id: 'canary-10',
          gates: [{ id: 'error-rate', query: ERROR_RATE, unit: 'ratio', fail: '> 0.05', for: '2s', onFail: 'rollback' }],
          rollback: { run: ['./slow.sh'] },
        },
        { id: 'full' },
      ],
      ...extra,
    }),
  );
}

const env = (extra: Record<string, string> = {}) => ({ MARKER_DIR: dir, FLIGHTDECK_GUARD_DIR: guardDir, ...extra });
const fd = (args: string[], extra: Record<string, string> = {}) => flightdeck(args, { cwd: dir, env: env(extra), timeoutMs: 90_000 });
const statusNow = () => guardStatus(join(dir, 'plan.yaml'));
const audit = async () => (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

it('kill -9 of the guard during a slow rollback: nothing overlaps it; the restarted guard adopts it; no lost audit line, no orphan', async () => {
  await writePlan();
  const started = await fd(['guard', 'plan.yaml'], { SLOW_S: '60' });
  expect(started.code).toBe(0);
  expect(started.stdout).toMatch(/guard for .*plan\.yaml started: pid \d+/);
  const rec = (await findGuard(join(dir, 'plan.yaml')))!;
  // The detached guard runs with its Node flags (V8's young generation capped: GUARD_NODE_FLAGS).
  expect((await readFile(`/proc/${rec.pid}/cmdline`, 'utf8')).split('\0')).toContain('--max-semi-space-size=16');
  const status = await fd(['status']);
  expect(status.stdout).toMatch(/plan\.yaml\s+dhash\s+stage canary-10\s+gates: .*action: none\s+cockpits: 0\s+up \S+\s+pid \d+/);

  const first = spawn(BIN, ['rollback', 'plan.yaml', '--yes', '--reason', 'first'], { cwd: dir, env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let firstOut = '';
  first.stdout.on('data', (d: Buffer) => (firstOut += d.toString()));
  await until(() => existsSync(join(dir, 'slow.pid')), 'the slow script to start', 60_000);
  const pgid = await pidIn(join(dir, 'slow.pid'));
  // The script is the guard's child, in its own process group.
  expect(Number((await readFile(`/proc/${pgid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[1])).toBe(rec.pid);
  await until(async () => (await statusNow())?.action?.kind === 'rollback', 'the guard to report the rollback', 60_000);
  await new Promise((r) => setTimeout(r, 300));
  process.kill(rec.pid, 'SIGKILL');
  const killedAt = Date.now();
  const firstCode = await new Promise<number | null>((r) => first.once('exit', (c) => r(c)));
  expect(firstCode).toBe(2);
  expect(firstOut).toMatch(/through the guard[\s\S]*the guard did not answer/);
  expect(processGroupAlive(pgid)).toBe(true);

  // No guard now: the CLI acts in process, and is refused while the orphaned script runs.
  const second = await fd(['rollback', 'plan.yaml', '--yes', '--reason', 'second'], { SLOW_S: '0' });
  expect(processGroupAlive(pgid) || second.code !== 0).toBe(true);
  expect(second.code).toBe(3);
  expect(second.stdout).toMatch(new RegExp(`refused: rollback by \\S+ running for \\d+ s \\(the flightdeck that started it is gone; its process group ${pgid} still runs\\)`));

  // A restarted guard adopts the running rollback and reports it.
  const again = await fd(['guard', 'plan.yaml'], { SLOW_S: '0' });
  expect(again.code).toBe(0);
  const adopted = await statusNow();
  expect(processGroupAlive(pgid)).toBe(true); // the script outlived both: what follows is adoption, not cleanup
  expect(adopted?.action).toMatchObject({ kind: 'rollback', lastLine: expect.stringMatching(/^adopted: /) });
  await until(() => !processGroupAlive(pgid), 'the first script to end', 60_000);
  const groupEndedAt = Date.now();
  await until(async () => (await statusNow())?.action === null, 'the guard to see the adopted rollback end', 60_000);
  const lines = await audit();
  const first2 = lines.filter((l) => l.reason === 'first' || (l.details as { actionId?: string } | undefined)?.actionId === (lines.find((x) => x.reason === 'first')?.details as { actionId?: string })?.actionId);
  expect(first2.map((l) => l.result)).toEqual(['started', 'outcome unknown']);
  // A refusal keeps the operator's reason and says why it was refused beside it.
  expect(lines.filter((l) => l.result === 'refused').map((l) => [l.reason, (l.details as { refusal?: string } | undefined)?.refusal])).toEqual([['second', expect.stringMatching(/its process group \d+ still runs/)]]);
  const order = (await readFile(join(dir, 'order'), 'utf8')).trim().split('\n');
  expect(order).toEqual(['start first', 'done first']); // nothing ran beside it
  const log = await readFile(join(dir, '.flightdeck', 'plan.yaml.guard.log'), 'utf8');
  expect(log).toMatch(/adopted a running rollback by \S+: its flightdeck \(pid \d+\) is gone, process group \d+ still runs/);
  expect(log).toMatch(/the adopted rollback by \S+ ended after \d+ s: outcome unknown/);
  // Now a rollback may run, through the new guard.
  const third = await fd(['rollback', 'plan.yaml', '--yes', '--reason', 'third']);
  expect(third.code).toBe(0);
  expect(third.stdout).toMatch(/through the guard/);
  const stop = await fd(['guard', 'stop', 'plan.yaml']);
  expect(stop.code).toBe(0);
  await until(() => processesIn(dir).length === 0, 'no process left', 60_000);
  console.log(`figures: kill -9 -> script group ended ${groupEndedAt - killedAt} ms later; no second rollback ran meanwhile`);
}, 240_000);

it('a guard killed with -9 is replaced within seconds, not after its lock goes 10 s stale; a guard stalled alive (SIGSTOP) keeps its lock', async () => {
  await writePlan();
  const plan = join(dir, 'plan.yaml');
  expect((await fd(['guard', 'plan.yaml'])).code).toBe(0);
  const rec = (await findGuard(plan))!;
  process.kill(rec.pid, 'SIGSTOP');
  const stoppedAt = Date.now();
  let taken: Awaited<ReturnType<typeof lockGuard>> = null;
  try {
    taken = await lockGuard(guardPaths(plan).info, { waitMs: 5_000, onCompromised: () => undefined });
  } finally {
    process.kill(rec.pid, 'SIGCONT');
  }
  expect(taken).toBeNull();
  expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(5_000);
  await until(async () => (await statusNow()) !== null, 'the stalled guard to answer again', 10_000);

  process.kill(rec.pid, 'SIGKILL');
  const killedAt = Date.now();
  const again = await fd(['guard', 'plan.yaml']);
  const replacedMs = Date.now() - killedAt;
  expect(again.code).toBe(0);
  const next = (await findGuard(plan))!;
  expect(next.pid).not.toBe(rec.pid);
  // proper-lockfile alone takes a lock over once 10 s stale; a dead holder's is taken once 3 s stale.
  expect(replacedMs).toBeLessThan(8_000);
  expect((await fd(['guard', 'stop', 'plan.yaml'])).code).toBe(0);
  await until(() => processesIn(dir).length === 0, 'no process left', 60_000);
  console.log(`figures: kill -9 -> the restarted guard served ${replacedMs} ms later`);
}, 120_000);

it('two `guard` commands at once: one starts the guard, the other says one already runs (exit 3); one guard left, none waiting', async () => {
  await writePlan();
  const [a, b] = await Promise.all([fd(['guard', 'plan.yaml']), fd(['guard', 'plan.yaml'])]);
  expect([a.code, b.code].sort()).toEqual([0, 3]);
  const [won, lost] = a.code === 0 ? [a, b] : [b, a];
  const rec = (await findGuard(join(dir, 'plan.yaml')))!;
  expect(won.stdout).toContain(`started: pid ${rec.pid}`);
  expect(lost.stdout).toMatch(new RegExp(`a guard already runs for \\S+plan\\.yaml: pid ${rec.pid}`));
  // The loser's own guard, if it had spawned one, is not left waiting for the lock.
  await until(() => processesIn(dir).filter((p) => / guard .*--foreground/.test(p.args)).length === 1, 'one guard process', 10_000);
  expect((await fd(['guard', 'stop', 'plan.yaml'])).code).toBe(0);
  await until(() => processesIn(dir).length === 0, 'no process left', 60_000);
}, 120_000);

it('two clients on one guard see an auto-rollback and a CLI rollback within one poll interval', async () => {
  await writePlan();
  expect((await fd(['guard', 'plan.yaml'], { SLOW_S: '1' })).code).toBe(0);
  const rec = (await findGuard(join(dir, 'plan.yaml')))!;
  const seen: Array<Array<{ at: number; got: number; type: string; action?: string; auto?: boolean }>> = [[], []];
  const clients = [new GuardClient(rec.socket), new GuardClient(rec.socket)];
  const abort = new AbortController();
  const streams = clients.map((c, i) =>
    c.stream((m) => {
      if (m.type === 'event') {
        const e = m.event as { at: number; type: string; action?: string; auto?: boolean };
        seen[i]!.push({ at: e.at, got: Date.now(), type: e.type, action: e.action, auto: e.auto });
      }
    }, abort.signal).catch(() => undefined),
  );
  await until(async () => (await statusNow())?.cockpits === 2, 'both clients attached', 60_000);
  await until(() => seen.every((s) => s.some((e) => e.type === 'poll.done')), 'a poll on both streams', 30_000);
  await live.fleet.setFault('all', { errorRate: 0.4 });
  try {
    await until(() => seen.every((s) => s.some((e) => e.type === 'action.finished')), 'the auto-rollback on both streams', 60_000);
  } finally {
    await live.fleet.clearFaults();
  }
  const cli = await fd(['rollback', 'plan.yaml', '--yes', '--reason', 'by hand']);
  expect(cli.code).toBe(0);
  await until(() => seen.every((s) => s.filter((e) => e.type === 'action.finished').length >= 2), 'the CLI rollback on both streams', 30_000);
  abort.abort();
  await Promise.all(streams);
  await Promise.all(clients.map((c) => c.close()));
  for (const s of seen) {
    const started = s.filter((e) => e.type === 'action.started');
    expect(started.map((e) => e.auto)).toEqual([true, false]);
    // Each arrived well within one poll interval (2 s) of the guard emitting it.
    for (const e of s.filter((x) => x.type.startsWith('action.'))) expect(e.got - e.at).toBeLessThan(2_000);
  }
  const lag = Math.max(...seen.flat().filter((e) => e.type.startsWith('action.')).map((e) => e.got - e.at));
  console.log(`figures: worst event lag to an attached client ${lag} ms`);
  const lines = (await audit()).filter((l) => String(l.action).endsWith('rollback'));
  expect(lines.map((l) => [l.action, l.result])).toEqual([
    ['auto-rollback', 'started'],
    ['auto-rollback', 'ok'],
    ['rollback', 'started'],
    ['rollback', 'ok'],
  ]);
  expect((await fd(['guard', 'stop', 'plan.yaml'])).code).toBe(0);
  await until(() => processesIn(dir).length === 0, 'no process left', 60_000);
}, 240_000);

it('a user not in operators: is refused through the guard, and the refusal is audited with the verified account', async () => {
  await writePlan({ operators: ['release-captain', 'group:no-such-group-fd'] });
  expect((await fd(['guard', 'plan.yaml'])).code).toBe(0);
  const r = await fd(['rollback', 'plan.yaml', '--yes', '--reason', 'not mine'], { USER: 'release-captain', SSH_CLIENT: '203.0.113.9 50000 22' });
  expect(r.code).toBe(3);
  const me = (await import('node:os')).userInfo().username;
  expect(r.stdout).toMatch(new RegExp(`refused: ${me} is not one of the plan's operators \\(release-captain, group:no-such-group-fd\\)`));
  // The refused rollback never ran (the guard may still auto-roll back on its own, as itself, if the
  // fleet's error rate from the test before is still above the gate's threshold).
  const order = existsSync(join(dir, 'order')) ? await readFile(join(dir, 'order'), 'utf8') : '';
  expect(order).not.toContain('not mine');
  const refused = (await audit()).find((l) => l.result === 'refused');
  // The name the client claimed (USER) counts for nothing: the account is the one the guard verified.
  expect(refused).toMatchObject({ action: 'rollback', operator: { user: me, sshClient: '203.0.113.9' } });
  // The guard stays up, and will not be stopped by a non-operator either.
  const stop = await fd(['guard', 'stop', 'plan.yaml']);
  expect(stop.code).toBe(3);
  expect((await findGuard(join(dir, 'plan.yaml')))?.pid).toBeGreaterThan(0);
}, 120_000);
