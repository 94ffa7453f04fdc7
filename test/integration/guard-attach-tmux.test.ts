/**
 * Cockpits attached to a guard, in a real tmux: the cockpit starts the guard
 * when none runs; a rollback started from a cockpit belongs to the guard and
 * survives `tmux kill-session`; a newly attached cockpit shows it; SIGHUP to
 * an idle attached cockpit detaches cleanly and leaves the guard running;
 * the quit dialog's "Stop the guard too" stops the guard cleanly; two
 * cockpits in two panes: what one starts, the other shows running and ended;
 * SIGHUP to a cockpit mid-rollback, then kill -9 of the guard under another;
 * `guard stop` while an action runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { lockPathFor, processGroupAlive } from '../../src/actions/lock.js';
import { guardPaths } from '../../src/guard/paths.js';
import { findGuard, recordAlive } from '../../src/guard/record.js';
import { BIN, flightdeck } from '../helpers/cli.js';
import { killAllIn, processesIn, pidIn } from '../helpers/process-table.js';
import { startTmux, type TmuxPane } from '../helpers/tmux.js';

let dir: string;
const panes: TmuxPane[] = [];
// A stack frame is "at fn (file:line:col)"; the status line's "at 14:15:07 (<10s ago)" is not one.
const CRASH = /Error: write|Assertion failed|ResetStdio|at \S+ \([^)]*:\d+:\d+\)|Unhandled|native stack/i;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-attach-'));
  await writeFile(join(dir, 'slow.sh'), '#!/usr/bin/env bash\necho $$ > slow.pid\necho start >> order\nsleep "${SLOW_S:-15}"\necho done >> order\n', { mode: 0o755 });
  await writePlan();
});

/** The plan every test here guards: one canary stage whose rollback is slow.sh; `promote` adds a promote action. */
async function writePlan(promote?: string[]): Promise<void> {
  const canary = { id: 'canary-10', gates: [{ id: 'smoke', command: { run: ['bash', '-c', 'exit 0'] }, onFail: 'block' }], ...(promote ? { promote: { run: promote } } : {}), rollback: { run: ['./slow.sh'] } };
  await writeFile(
    join(dir, 'plan.yaml'),
    stringify({
      service: 'dhash',
      polling: { window: '60m', phases: [{ every: '2s' }], jitter: 0 },
      audit: { file: 'audit.jsonl' },
      logs: { dir: 'logs' },
      stages: [canary, { id: 'full' }],
    }),
  );
}
afterEach(async () => {
  for (const p of panes.splice(0)) p.kill();
  killAllIn(dir);
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({ CI: 'true', NO_COLOR: '1', FLIGHTDECK_GUARD_DIR: join(dir, 'guards'), SLOW_S: '15' });
function cockpit(err = 'err.txt', more: Record<string, string> = {}): TmuxPane {
  const p = startTmux(`${BIN} watch plan.yaml 2>>${err}`, { cols: 120, rows: 40, cwd: dir, env: { ...env(), ...more } });
  panes.push(p);
  return p;
}
async function until(test: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
const audit = async () => (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** One key, then 400 ms for the cockpit to take it. */
async function key(f: () => void): Promise<void> {
  f();
  await new Promise((r) => setTimeout(r, 400));
}

/** Rolls canary-10 back from a cockpit's dialog (service name, reason, confirm); returns the slow script's process group once it runs. */
async function rollBackFrom(pane: TmuxPane, reason: string): Promise<number> {
  await key(() => pane.send('b'));
  await pane.waitFor(/ROLL BACK canary-10/, { what: 'the rollback dialog' });
  await key(() => pane.type('dhash'));
  await key(() => pane.send('Tab'));
  await key(() => pane.type(reason));
  await key(() => pane.send('Tab'));
  await key(() => pane.send('Tab'));
  await key(() => pane.send('Enter'));
  await until(() => existsSync(join(dir, 'slow.pid')), 'the slow script to start');
  return await pidIn(join(dir, 'slow.pid'));
}

it('a rollback started in an attached cockpit survives tmux kill-session; a newly attached cockpit shows it', async () => {
  const pane = cockpit();
  await pane.waitFor(/started a guard for this plan in the background \(pid \d+\)/, { what: 'the note that a guard was started', timeoutMs: 60_000 });
  await pane.waitFor(/ok\s+smoke/, { what: 'the first poll', timeoutMs: 30_000 });
  const guard = (await findGuard(join(dir, 'plan.yaml')))!;
  expect(guard).not.toBeNull();
  const pgid = await rollBackFrom(pane, 'ssh drop test');
  // The script is the guard's child, in its own process group.
  expect(Number((await readFile(`/proc/${pgid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[1])).toBe(guard.pid);

  pane.kill(); // the SSH session drops
  panes.splice(panes.indexOf(pane), 1);
  const droppedAt = Date.now();
  await until(() => !processesIn(dir).some((p) => / watch plan\.yaml/.test(p.args)), 'the cockpit to be gone');
  expect(processGroupAlive(pgid)).toBe(true);
  expect(recordAlive(guard)).toBe(true);
  expect((await audit()).filter((l) => l.action === 'rollback').map((l) => l.result)).toEqual(['started']);

  await until(() => !processGroupAlive(pgid), 'the rollback to finish under the guard');
  const finishedAt = Date.now();
  await until(async () => (await audit()).filter((l) => l.action === 'rollback').length === 2, 'the result line');
  const lines = (await audit()).filter((l) => l.action === 'rollback');
  expect(lines.map((l) => l.result)).toEqual(['started', 'ok']);
  expect(lines[1]).toMatchObject({ reason: 'ssh drop test', steps: [{ status: 'ok', exitCode: 0 }] });
  expect((await readFile(join(dir, 'order'), 'utf8')).trim().split('\n')).toEqual(['start', 'done']);

  const again = cockpit();
  const screen = await again.waitFor(/attached to the guard \(pid \d+\)/, { what: 'the new cockpit attached', timeoutMs: 60_000 });
  await again.waitFor(/rolled back|ROLLED BACK/i, { what: 'the rollback shown', timeoutMs: 20_000 });
  await again.waitFor(/rollback ok: 1 step run/, { what: 'the rollback\'s result in the activity', timeoutMs: 20_000 });
  expect(screen).not.toMatch(CRASH);
  again.send('q');
  // Attached, q always asks; Detach is the default: Enter leaves the guard running.
  await again.waitFor(/▶\[ Detach \]/, { what: 'the quit dialog' });
  again.send('Enter');
  await again.waitFor(() => !again.alive(), { what: 'the cockpit to quit' });
  expect(recordAlive(guard)).toBe(true); // quitting detaches; the guard keeps watching
  expect(await readFile(join(dir, 'err.txt'), 'utf8')).not.toMatch(CRASH);
  expect((await flightdeck(['guard', 'stop', 'plan.yaml'], { cwd: dir, env: env(), timeoutMs: 60_000 })).code).toBe(0);
  for (const p of panes.splice(0)) p.kill(); // the tmux servers (their cwd is the test directory)
  await until(() => processesIn(dir).length === 0, 'no process left');
  console.log(`figures: the rollback ran on ${finishedAt - droppedAt} ms after the terminal dropped and ended under the guard (monitoring gap 0: the guard never stopped)`);
}, 300_000);

it('SIGHUP to an idle attached cockpit: it exits without a stack trace; the guard keeps running', async () => {
  expect((await flightdeck(['guard', 'plan.yaml'], { cwd: dir, env: env(), timeoutMs: 60_000 })).code).toBe(0);
  const guard = (await findGuard(join(dir, 'plan.yaml')))!;
  const pane = cockpit();
  await pane.waitFor(/attached to the guard/, { what: 'attached', timeoutMs: 60_000 });
  await pane.waitFor(/ok\s+smoke/, { what: 'the state', timeoutMs: 30_000 });
  const watchPid = processesIn(dir).find((p) => / watch plan\.yaml$/.test(p.args.trim()))!.pid;
  const hungUpAt = Date.now();
  process.kill(watchPid, 'SIGHUP');
  await pane.waitFor(() => !pane.alive(), { what: 'the cockpit to exit', timeoutMs: 30_000 });
  // At once: nothing of the attach (the wait for the first snapshot) keeps it alive.
  expect(Date.now() - hungUpAt).toBeLessThan(5_000);
  expect(pane.exitStatus()).toBe(0);
  expect(await readFile(join(dir, 'err.txt'), 'utf8')).not.toMatch(CRASH);
  expect(recordAlive(guard)).toBe(true);
  const status = execFileSync(BIN, ['status'], { env: { ...process.env, ...env() }, encoding: 'utf8' });
  expect(status).toMatch(/plan\.yaml\s+dhash\s+stage canary-10 .*cockpits: 0/);
  expect((await flightdeck(['guard', 'stop', 'plan.yaml'], { cwd: dir, env: env(), timeoutMs: 60_000 })).code).toBe(0);
  for (const p of panes.splice(0)) p.kill();
  await until(() => processesIn(dir).length === 0, 'no process left');
}, 180_000);

it('q, then "Stop the guard too": the guard exits cleanly (audited; socket, record and lock gone); nothing is left running', async () => {
  const plan = join(dir, 'plan.yaml');
  const paths = guardPaths(plan);
  const pane = cockpit();
  await pane.waitFor(/started a guard for this plan in the background \(pid \d+\)/, { what: 'the note that a guard was started', timeoutMs: 60_000 });
  await pane.waitFor(/ok\s+smoke/, { what: 'the first poll', timeoutMs: 30_000 });
  const guard = (await findGuard(plan))!;
  expect(guard).not.toBeNull();
  expect(existsSync(paths.socket)).toBe(true);
  expect(existsSync(`${paths.info}.lock`)).toBe(true);
  pane.send('q');
  const screen = await pane.waitFor(/QUIT\?/, { what: 'the quit dialog' });
  expect(screen).toMatch(/▶\[ Detach \]/); // never the stop as the default
  expect(screen).toMatch(/no more auto-rollback/);
  expect(recordAlive(guard)).toBe(true);
  pane.send('Right');
  await pane.waitFor(/▶\[ Stop the guard too \]/, { what: 'the stop button focused' });
  const askedAt = Date.now();
  pane.send('Enter');
  await pane.waitFor(() => !pane.alive(), { what: 'the cockpit to quit', timeoutMs: 60_000 });
  const stoppedIn = Date.now() - askedAt;
  expect(pane.exitStatus()).toBe(0);
  // What it said on leaving (from every byte written: the screen keeps only the tail of a wrapped line).
  expect(pane.raw().toString('utf8')).toMatch(new RegExp(`the guard \\(pid ${guard.pid}\\) stopped: nothing watches \\S*plan\\.yaml now and nothing rolls back on its own`));
  expect(await readFile(join(dir, 'err.txt'), 'utf8')).not.toMatch(CRASH);
  // The guard's process is gone from the process table, and so are its socket, its record and its lock.
  expect(recordAlive(guard)).toBe(false);
  expect(processesIn(dir).filter((p) => / guard /.test(p.args))).toEqual([]);
  expect(existsSync(paths.socket)).toBe(false);
  expect(existsSync(paths.info)).toBe(false);
  expect(existsSync(`${paths.info}.lock`)).toBe(false);
  expect(existsSync(paths.registryEntry)).toBe(false);
  // Its last audit line says who stopped it, from where, and what that means; the chain verifies.
  const last = (await audit()).at(-1)!;
  expect(last).toMatchObject({ action: 'guard-stop', result: 'ok', details: { pid: guard.pid } });
  expect(String(last.reason)).toMatch(/^asked by \S+ from a cockpit's quit dialog; no polling and no auto-rollback after this$/);
  expect((last.operator as { user: string }).user).toBe(guard.user);
  expect((await flightdeck(['audit', 'verify', 'audit.jsonl'], { cwd: dir, env: env() })).code).toBe(0);
  const log = await readFile(paths.log, 'utf8');
  expect(log).toMatch(/stopping \(asked by \S+ from a cockpit's quit dialog\)/);
  expect(log).toMatch(/guard stopped\n$/);
  for (const p of panes.splice(0)) p.kill();
  await until(() => processesIn(dir).length === 0, 'no process left');
  console.log(`figures: "Stop the guard too" to the guard gone and the cockpit exited: ${stoppedIn} ms`);
}, 180_000);

it('two cockpits on one guard: B shows the promote A started, running and then ended, within a bounded wait; B\'s q then asks about no action', async () => {
  await writeFile(join(dir, 'promote.sh'), '#!/usr/bin/env bash\necho promote-start >> order\nsleep 8\necho promote-done >> order\n', { mode: 0o755 });
  await writePlan(['./promote.sh']);
  expect((await flightdeck(['guard', 'plan.yaml'], { cwd: dir, env: env(), timeoutMs: 60_000 })).code).toBe(0);
  const guard = (await findGuard(join(dir, 'plan.yaml')))!;
  const a = cockpit();
  const b = cockpit();
  for (const p of [a, b]) {
    await p.waitFor(/attached to the guard/, { what: 'attached', timeoutMs: 60_000 });
    await p.waitFor(/PROMOTABLE/, { what: 'the stage promotable', timeoutMs: 30_000 });
  }
  a.send('p');
  await a.waitFor(/\$ .*promote\.sh/, { what: "A's promote dialog with the exact command" });
  a.send('Tab');
  await a.waitFor(/Enter promotes/, { what: 'focus on Promote' });
  const pressedAt = Date.now();
  a.send('Enter');
  // B never asked for it, and shows it running (the script runs 8 s: B must see it before it ends).
  await b.waitFor(/PROMOTE running/, { what: 'B shows the promote running', timeoutMs: 8_000 });
  const seenRunning = Date.now() - pressedAt;
  expect(await readFile(join(dir, 'order'), 'utf8')).not.toMatch(/promote-done/);
  await until(async () => (await readFile(join(dir, 'order'), 'utf8').catch(() => '')).includes('promote-done'), 'the promote script to end', 30_000);
  const endedAt = Date.now();
  // Then its end, and nothing running any more.
  await b.waitFor((s) => /promote of canary-10 finished after/.test(s) && !/PROMOTE running/.test(s), { what: 'B shows the promote ended', timeoutMs: 10_000 });
  const seenEnded = Date.now() - endedAt;
  await b.waitFor(/│ 2\/2 full /, { what: 'B shows the stage A promoted to', timeoutMs: 10_000 });
  // B's q asks nothing about an action (it has ended): only detach or stop the guard.
  b.send('q');
  const quit = await b.waitFor(/QUIT\?/, { what: "B's quit dialog" });
  expect(quit).not.toMatch(/is running|goes on with it|finishes the promote/);
  expect(quit).toMatch(/▶\[ Detach \]/);
  b.send('Enter');
  await b.waitFor(() => !b.alive(), { what: 'B to detach' });
  expect(b.exitStatus()).toBe(0);
  expect(recordAlive(guard)).toBe(true);
  const promotes = (await audit()).filter((l) => l.action === 'promote').map((l) => l.result);
  expect(promotes).toEqual(['started', 'ok']);
  expect(await readFile(join(dir, 'err.txt'), 'utf8')).not.toMatch(CRASH);
  expect((await flightdeck(['guard', 'stop', 'plan.yaml'], { cwd: dir, env: env(), timeoutMs: 60_000 })).code).toBe(0);
  for (const p of panes.splice(0)) p.kill();
  await until(() => processesIn(dir).length === 0, 'no process left');
  console.log(`figures: B showed A's promote running ${seenRunning} ms after A's Enter, and its end ${seenEnded} ms after the script ended`);
}, 180_000);

it('SIGHUP to a cockpit mid-rollback, then kill -9 of the guard under a second cockpit: no crash, no overlap, the next guard adopts it, nothing left', async () => {
  const plan = join(dir, 'plan.yaml');
  const a = cockpit();
  await a.waitFor(/started a guard for this plan in the background/, { what: 'A started the guard', timeoutMs: 60_000 });
  await a.waitFor(/ok\s+smoke/, { what: 'the first poll', timeoutMs: 30_000 });
  const guard = (await findGuard(plan))!;
  const pgid = await rollBackFrom(a, 'stranger');

  // SIGHUP to A's watch while its rollback runs (its terminal is still there): A leaves cleanly; the rollback goes on.
  const watchA = processesIn(dir).find((p) => / watch plan\.yaml$/.test(p.args.trim()))!.pid;
  process.kill(watchA, 'SIGHUP');
  await a.waitFor(() => !a.alive(), { what: 'A to exit', timeoutMs: 30_000 });
  expect(a.exitStatus()).toBe(0);
  expect(await readFile(join(dir, 'err.txt'), 'utf8')).not.toMatch(CRASH);
  expect(processGroupAlive(pgid)).toBe(true);
  expect(recordAlive(guard)).toBe(true);

  // B attaches and sees it running; then the guard is killed with -9 under B.
  const b = cockpit('errB.txt');
  await b.waitFor(/ROLLBACK running/, { what: 'B shows the rollback running', timeoutMs: 60_000 });
  process.kill(guard.pid, 'SIGKILL');
  await b.waitFor(() => !b.alive(), { what: 'B to leave', timeoutMs: 30_000 });
  expect(b.exitStatus()).toBe(1);
  const errB = await readFile(join(dir, 'errB.txt'), 'utf8');
  expect(errB).not.toMatch(CRASH);
  expect(errB).toMatch(new RegExp(`lost the guard: .*\\(pid ${guard.pid}\\)\\. Nothing watches \\S*plan\\.yaml now; an action it was running goes on in its own process group`));
  expect(processGroupAlive(pgid)).toBe(true);

  // No second rollback while the first script's process group runs (no guard: the CLI acts in process, and is refused).
  const second = await flightdeck(['rollback', 'plan.yaml', '--yes', '--reason', 'overlap?'], { cwd: dir, env: env(), timeoutMs: 60_000 });
  expect(second.code).toBe(3);
  expect(second.stdout + second.stderr).toMatch(/rollback by \S+ running for .*process group \d+ still runs/);

  // A new cockpit starts a new guard, which adopts the running rollback and audits its end as outcome unknown.
  const c = cockpit();
  await c.waitFor(/started a guard for this plan in the background/, { what: 'C started a new guard', timeoutMs: 60_000 });
  await c.waitFor(/adopted a running rollback/, { what: 'the adoption shown', timeoutMs: 30_000 });
  const next = (await findGuard(plan))!;
  expect(next.pid).not.toBe(guard.pid);
  await until(() => !processGroupAlive(pgid), 'the adopted rollback to end', 60_000);
  await until(async () => (await audit()).some((l) => l.result === 'outcome unknown'), 'the adopted end audited', 30_000);
  await c.waitFor(/ended after \d+ s: outcome unknown/, { what: 'C shows its end', timeoutMs: 30_000 });
  const rollbacks = (await audit()).filter((l) => String(l.action).endsWith('rollback')).map((l) => l.result);
  expect(rollbacks).toEqual(['started', 'refused', 'outcome unknown']);
  expect((await readFile(join(dir, 'order'), 'utf8')).trim().split('\n')).toEqual(['start', 'done']);
  expect((await flightdeck(['audit', 'verify', 'audit.jsonl'], { cwd: dir, env: env() })).code).toBe(0);
  expect((await flightdeck(['guard', 'stop', 'plan.yaml'], { cwd: dir, env: env(), timeoutMs: 60_000 })).code).toBe(0);
  await c.waitFor(() => !c.alive(), { what: 'C to leave once its guard stopped', timeoutMs: 30_000 });
  for (const p of panes.splice(0)) p.kill();
  await until(() => processesIn(dir).length === 0, 'no process left');
  expect(existsSync(lockPathFor(plan))).toBe(false);
}, 300_000);

it('guard stop while a rollback runs: status says STOPPING, a new rollback is refused, the running one ends and is audited, then the guard; nothing left', async () => {
  const plan = join(dir, 'plan.yaml');
  const paths = guardPaths(plan);
  const e = { ...env(), SLOW_S: '8' };
  expect((await flightdeck(['guard', 'plan.yaml'], { cwd: dir, env: e, timeoutMs: 60_000 })).code).toBe(0);
  const guard = (await findGuard(plan))!;
  const first = flightdeck(['rollback', 'plan.yaml', '--yes', '--reason', 'first'], { cwd: dir, env: e, timeoutMs: 120_000 });
  await until(() => existsSync(join(dir, 'slow.pid')), 'the slow script to start');
  const stop = flightdeck(['guard', 'stop', 'plan.yaml'], { cwd: dir, env: e, timeoutMs: 120_000 });
  await until(() => / STOPPING \(asked by \S+ from flightdeck guard stop; once the action has ended\)/.test(execFileSync(BIN, ['status'], { env: { ...process.env, ...e }, encoding: 'utf8' })), 'status to say STOPPING', 60_000);
  const second = await flightdeck(['rollback', 'plan.yaml', '--yes', '--reason', 'second'], { cwd: dir, env: e, timeoutMs: 60_000 });
  expect(second.code).toBe(3);
  expect(second.stdout).toMatch(/refused: the guard is stopping \(asked by \S+ from flightdeck guard stop\): nothing new starts/);
  expect(recordAlive(guard)).toBe(true); // it waits for the rollback
  const [r1, st] = await Promise.all([first, stop]);
  expect(r1.code).toBe(0);
  expect(st.code).toBe(0);
  expect(st.stdout).toMatch(/an action is running \(rollback by \S+\): the guard stops once it has ended/);
  expect(st.stdout).toMatch(/guard for plan\.yaml stopped/);
  expect(recordAlive(guard)).toBe(false);
  const lines = (await audit()).map((l) => `${String(l.action)} ${String(l.result)}${l.reason ? ` ${String(l.reason).split(';')[0]}` : ''}`);
  expect(lines).toEqual(['rollback started first', 'rollback refused second', 'rollback ok first', expect.stringMatching(/^guard-stop ok asked by \S+ from flightdeck guard stop$/)]);
  expect((await audit()).at(-1)).toMatchObject({ details: { waitedFor: expect.stringMatching(/^rollback by /) } });
  expect((await flightdeck(['audit', 'verify', 'audit.jsonl'], { cwd: dir, env: e })).code).toBe(0);
  expect((await readFile(join(dir, 'order'), 'utf8')).trim().split('\n')).toEqual(['start', 'done']);
  for (const f of [paths.socket, paths.info, `${paths.info}.lock`, paths.registryEntry, lockPathFor(plan)]) expect(existsSync(f)).toBe(false);
  await until(() => processesIn(dir).length === 0, 'no process left');
}, 180_000);

it('"Stop the guard too" while a rollback runs: the cockpit says the guard finishes it first and leaves; the guard audits the rollback, then its stop, and exits', async () => {
  const plan = join(dir, 'plan.yaml');
  const a = cockpit('err.txt', { SLOW_S: '8' });
  await a.waitFor(/started a guard for this plan in the background/, { what: 'A started the guard', timeoutMs: 60_000 });
  await a.waitFor(/ok\s+smoke/, { what: 'the first poll', timeoutMs: 30_000 });
  const guard = (await findGuard(plan))!;
  await rollBackFrom(a, 'then stop');
  // The script runs once the guard started it; the cockpit knows once the guard's stream says so.
  await a.waitFor(/ROLLING BACK/, { what: 'the cockpit showing the rollback running' });
  a.send('q');
  const quit = await a.waitFor(/QUIT\?/, { what: 'the quit dialog' });
  expect(quit).toMatch(/rollback by \S+ is running \([^)]+\)\. The guard goes on with it after you leave\./);
  expect(quit).toMatch(/Stop the guard too: it finishes the rollback and audits it, then stops\./);
  await key(() => a.send('Right'));
  await a.waitFor(/▶\[ Stop the guard too \]/, { what: 'the stop focused' });
  a.send('Enter');
  await a.waitFor(() => !a.alive(), { what: 'the cockpit to leave', timeoutMs: 30_000 });
  expect(a.exitStatus()).toBe(0);
  expect(a.raw().toString('utf8')).toMatch(/the guard \(pid \d+\) stops once the rollback by \S+ has ended \(it finishes and audits it first\)/);
  expect(await readFile(join(dir, 'err.txt'), 'utf8')).not.toMatch(CRASH);
  // The guard outlives the cockpit until its rollback has ended, then stops.
  expect(recordAlive(guard)).toBe(true);
  await until(() => !recordAlive(guard), 'the guard to stop once the rollback ended', 60_000);
  const lines = (await audit()).map((l) => `${String(l.action)} ${String(l.result)}`);
  expect(lines).toEqual(['rollback started', 'rollback ok', 'guard-stop ok']);
  expect((await audit()).at(-1)).toMatchObject({ reason: expect.stringMatching(/from a cockpit's quit dialog/), details: { waitedFor: expect.stringMatching(/^rollback by /) } });
  expect((await readFile(join(dir, 'order'), 'utf8')).trim().split('\n')).toEqual(['start', 'done']);
  expect((await flightdeck(['audit', 'verify', 'audit.jsonl'], { cwd: dir, env: env() })).code).toBe(0);
  for (const p of panes.splice(0)) p.kill();
  await until(() => processesIn(dir).length === 0, 'no process left');
  expect(existsSync(lockPathFor(plan))).toBe(false);
}, 180_000);
