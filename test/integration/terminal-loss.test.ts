/**
 * Losing the terminal is not a crash: `tmux kill-session` (the pty hangs up)
 * during a rollback, SIGHUP to an idle cockpit, SIGHUP to `watch --json`.
 * Real binary in a real tmux, real slow script; the process table is checked
 * for leftovers and stderr for stack traces and native assertions.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { processGroupAlive } from '../../src/actions/lock.js';
import { BIN } from '../helpers/cli.js';
import { startTmux, type TmuxPane } from '../helpers/tmux.js';
import { pidIn } from '../helpers/process-table.js';

let dir: string;
let pane: TmuxPane | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-hup-'));
  await writeFile(join(dir, 'slow.sh'), '#!/usr/bin/env bash\necho $$ > slow.pid\necho start >> order\nsleep 20\necho done >> order\n', { mode: 0o755 });
  await writeFile(
    join(dir, 'plan.yaml'),
    stringify({
      service: 'dhash',
      audit: { file: 'audit.jsonl' },
      logs: { dir: 'logs' },
      stages: [{ id: 'canary-10', gates: [{ id: 'smoke', command: { run: ['bash', '-c', 'exit 0'] }, onFail: 'block' }], rollback: { run: ['./slow.sh'] } }, { id: 'full' }],
    }),
  );
});
afterEach(async () => {
  pane?.kill();
  pane = undefined;
  for (const pid of ours()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** Every live process whose command line or working directory is in this test's directory. */
function ours(): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  const pids: number[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || m[2]!.startsWith('Z')) continue;
    const pid = Number(m[1]);
    let cwd = '';
    try {
      cwd = execFileSync('readlink', [`/proc/${pid}/cwd`], { encoding: 'utf8' }).trim();
    } catch {
      // gone or not ours to read
    }
    if ((m[3]!.includes(dir) || cwd === dir) && pid !== process.pid) pids.push(pid);
  }
  return pids;
}

async function until(test: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const audit = async () => (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
// A stack frame is "at fn (file:line:col)"; the status line's "at 14:15:07 (<10s ago)" is not one.
const CRASH = /Error: write|Assertion failed|ResetStdio|at \S+ \([^)]*:\d+:\d+\)|Unhandled|native stack/i;

it('tmux kill-session during a rollback: no crash, the script is stopped (no orphan), the audit holds started and the result', async () => {
  pane = startTmux(`${BIN} watch plan.yaml --no-guard 2>err.txt`, { cols: 120, rows: 40, cwd: dir, env: { CI: 'true', NO_COLOR: '1' } });
  await pane.waitFor(/smoke/, { what: 'the gates panel', timeoutMs: 30_000 });
  await pane.waitFor(/ok\s+smoke/, { what: 'the first poll', timeoutMs: 30_000 });
  const step = async (f: () => void) => {
    f();
    await new Promise((r) => setTimeout(r, 400));
  };
  await step(() => pane!.send('b'));
  await pane.waitFor(/ROLL BACK canary-10/, { what: 'the rollback dialog' });
  await step(() => pane!.type('dhash'));
  await step(() => pane!.send('Tab'));
  await step(() => pane!.type('ssh test'));
  await step(() => pane!.send('Tab'));
  await step(() => pane!.send('Tab'));
  await step(() => pane!.send('Enter'));
  await until(() => existsSync(join(dir, 'slow.pid')), 'the slow script to start');
  const pgid = await pidIn(join(dir, 'slow.pid'));
  expect(processGroupAlive(pgid)).toBe(true);

  pane.kill(); // the tmux server goes: the pty hangs up, the shell and flightdeck get SIGHUP
  pane = undefined;
  await until(() => ours().length === 0, 'flightdeck and its script to be gone');
  expect(processGroupAlive(pgid)).toBe(false);
  const err = await readFile(join(dir, 'err.txt'), 'utf8');
  expect(err).not.toMatch(CRASH);
  const lines = (await audit()).filter((l) => l.action === 'rollback');
  expect(lines.map((l) => l.result)).toEqual(['started', 'aborted']);
  expect(lines[1]).toMatchObject({ reason: 'ssh test', steps: [{ name: 'rollback', status: 'aborted' }] });
  expect((await readFile(join(dir, 'order'), 'utf8')).trim()).toBe('start');
  expect(existsSync(join(dir, '.flightdeck', 'plan.yaml.lock'))).toBe(false);
}, 90_000);

it('SIGHUP to an idle cockpit: it exits without a stack trace', async () => {
  pane = startTmux(`${BIN} watch plan.yaml --no-guard 2>err.txt`, { cols: 120, rows: 40, cwd: dir, env: { CI: 'true', NO_COLOR: '1' } });
  await pane.waitFor(/ok\s+smoke/, { what: 'the first poll', timeoutMs: 30_000 });
  const [pid] = ours().filter((p) => execFileSync('ps', ['-o', 'args=', '-p', String(p)], { encoding: 'utf8' }).includes('watch plan.yaml') && !execFileSync('ps', ['-o', 'args=', '-p', String(p)], { encoding: 'utf8' }).includes('2>'));
  expect(pid).toBeDefined();
  process.kill(pid!, 'SIGHUP');
  await pane.waitFor(() => !pane!.alive(), { what: 'flightdeck to exit', timeoutMs: 20_000 });
  expect(pane.exitStatus()).toBe(0);
  expect(await readFile(join(dir, 'err.txt'), 'utf8')).not.toMatch(CRASH);
  expect(pane.alternateOn()).toBe(false); // the screen was given back
}, 60_000);

it('SIGHUP to watch --json: the stream ends cleanly, exit 0, nothing left running', async () => {
  const child = spawn(BIN, ['watch', 'plan.yaml', '--json', '--no-guard'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await until(() => out.includes('"poll.done"'), 'the first poll', 30_000);
  child.kill('SIGHUP');
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  expect(code).toBe(0);
  expect(err).not.toMatch(CRASH);
  expect(ours()).toEqual([]);
}, 60_000);
