/**
 * kill -9 of a `flightdeck rollback` while its slow step runs: the step's
 * process group keeps the lock, so no second rollback starts until it has
 * ended; the audit holds the write-ahead started line, and the next action
 * records the abandoned one's end as `outcome unknown`. Real binary, real
 * scripts, the process table.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { processGroupAlive } from '../../src/actions/lock.js';
import { FORKS, proc, readAudit, readOrder, writeActPlan } from '../helpers/act.js';
import { BIN, flightdeck, ROOT } from '../helpers/cli.js';
import { pidIn } from '../helpers/process-table.js';

let dir: string;
let planFile: string;
const groups: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-kill9-'));
  planFile = join(dir, 'plan.yaml');
  // The slow step writes its own pid (= its process group) before sleeping.
  await writeFile(join(dir, 'slow.sh'), '#!/usr/bin/env bash\necho $$ > "$MARKER_DIR/slow.pid"\necho "$1" >> "$MARKER_DIR/order"\nsleep "${SLOW_S:-3}"\necho done >> "$MARKER_DIR/order"\n', { mode: 0o755 });
  await writeActPlan(planFile, { service: 'dhash', stages: [{ id: 'canary-10', rollback: { run: ['./slow.sh', 'rb-slow'] } }, { id: 'full' }] });
});
afterEach(async () => {
  for (const g of groups.splice(0)) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // ended
    }
  }
  await rm(dir, { recursive: true, force: true });
});

const audit = () => readAudit(dir);
const pgidOf = async (pidFile: string): Promise<number> => proc(await pidIn(join(dir, pidFile)))!.pgid;

it('kill -9 of the rollback command: no second rollback until the first script\'s group has ended; no lost audit line', async () => {
  const env = { ...process.env, NO_COLOR: '1', MARKER_DIR: dir, SLOW_S: '15' };
  const first = spawn(BIN, ['rollback', planFile, '--yes', '--reason', 'first'], { env, cwd: ROOT, stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(join(dir, 'slow.pid')); i++) await new Promise((r) => setTimeout(r, 25));
  const pgid = await pidIn(join(dir, 'slow.pid'));
  groups.push(pgid);
  // The started line is on disk while the step runs.
  expect((await audit()).map((l) => [l.action, l.result])).toEqual([['rollback', 'started']]);
  await new Promise((r) => setTimeout(r, 150)); // the lock names the group a moment after the spawn
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const killedAt = Date.now();
  expect(processGroupAlive(pgid)).toBe(true);

  // While the orphaned script runs, every second rollback is refused (exit 3) and runs nothing.
  let refusals = 0;
  let next = 'third';
  while (processGroupAlive(pgid) && Date.now() - killedAt < 30_000) {
    const second = await flightdeck(['rollback', planFile, '--yes', '--reason', 'second'], { env: { MARKER_DIR: dir, SLOW_S: '0' } });
    if (second.code === 0 && !processGroupAlive(pgid)) {
      next = 'second'; // asked just as the group ended: it may run, after it
      break;
    }
    expect(second.code).toBe(3);
    expect(second.stdout).toMatch(new RegExp(`refused: rollback by \\S+ running for \\d+ s \\(the flightdeck that started it is gone; its process group ${pgid} still runs\\)`));
    refusals++;
  }
  const order = await readOrder(dir);
  expect(order.slice(0, 2)).toEqual(['rb-slow', 'done']); // the first ran to its end, nothing overlapped it
  expect(refusals).toBeGreaterThan(0);

  if (next === 'third') {
    const third = await flightdeck(['rollback', planFile, '--yes', '--reason', 'third'], { env: { MARKER_DIR: dir, SLOW_S: '0' } });
    expect(third.code).toBe(0);
  }
  const lines = await audit();
  const results = lines.filter((l) => l.action === 'rollback' && l.result !== 'refused').map((l) => [l.reason, l.result]);
  expect(results[0]).toEqual(['first', 'started']);
  expect(results[1]![1]).toBe('outcome unknown');
  expect(results.slice(2)).toEqual([[next, 'started'], [next, 'ok']]);
  const started = lines.find((l) => l.result === 'started')!.details as { actionId: string };
  expect((lines.find((l) => l.result === 'outcome unknown')!.details as { actionId: string }).actionId).toBe(started.actionId);
  expect(lines.filter((l) => l.result === 'refused')).toHaveLength(refusals);
  expect(processGroupAlive(pgid)).toBe(false);
}, 90_000);

it('kill -9 after a step that left its daemon running on purpose (leftovers: leave): the daemon does not hold the lock', async () => {
  // Step 1 starts a "daemon" (forks.sh: a background child, left running); step 2 is an HTTP call the receiver holds.
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (held.length === 0) held.push(res); // the first call hangs: the rollback is killed during it
      else res.end('ok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flip`;
  try {
    await writeActPlan(planFile, {
      service: 'dhash',
      stages: [
        {
          id: 'canary-10',
          rollback: {
            steps: [
              { name: 'start previous version', run: [FORKS, '60'], leftovers: 'leave' },
              { name: 'flip', http: { url, method: 'POST', timeout: '30s' } },
            ],
          },
        },
        { id: 'full' },
      ],
    });
    const env = { ...process.env, NO_COLOR: '1', MARKER_DIR: dir, PID_DIR: dir };
    const first = spawn(BIN, ['rollback', planFile, '--yes', '--reason', 'first'], { env, cwd: ROOT, stdio: 'ignore' });
    for (let i = 0; i < 400 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(held).toHaveLength(1);
    const daemonGroup = await pgidOf('bg.pid');
    groups.push(daemonGroup);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(processGroupAlive(daemonGroup)).toBe(true);

    // Nothing of the killed action runs any more: the daemon was left on purpose and must not block the next rollback.
    const second = await flightdeck(['rollback', planFile, '--yes', '--reason', 'second'], { env: { MARKER_DIR: dir, PID_DIR: dir } });
    expect(second.stdout).not.toMatch(/refused/);
    expect(second.code).toBe(0);
    groups.push(await pgidOf('bg.pid'));
    expect(processGroupAlive(daemonGroup)).toBe(true); // left running, as the step asked
    const results = (await audit()).map((l) => [l.reason === 'first' || l.reason === 'second' ? l.reason : 'abandoned', l.result]);
    expect(results).toEqual([
      ['first', 'started'],
      ['abandoned', 'outcome unknown'],
      ['second', 'started'],
      ['second', 'ok'],
    ]);
  } finally {
    for (const r of held) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}, 60_000);
