/**
 * The lock holds while the recorded process group of the running step lives,
 * even when the Flightdeck that took it is gone (kill -9): no second action
 * overlaps the first. Real processes: a node holder killed with SIGKILL, and a
 * `sleep` in its own process group standing for the step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireActionLock, clearStaleLock, describeHolder, HOLDER_ENV, holderMark, inspectLock, lockPathFor, processGroupAlive, readLockHolder, type LockHolder } from '../../src/actions/lock.js';

let dir: string;
let plan: string;
const spawned: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-lockgrp-'));
  plan = join(dir, 'dhash.yaml');
  await writeFile(plan, 'service: dhash\n');
});
afterEach(async () => {
  for (const c of spawned.splice(0)) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** A step: `sleep` leading its own process group, as the runner starts them (with the holder's mark when given). */
function step(seconds: number, mark?: string): ChildProcess {
  const c = spawn('sleep', [String(seconds)], { detached: true, stdio: 'ignore', ...(mark ? { env: { ...process.env, [HOLDER_ENV]: mark } } : {}) });
  spawned.push(c);
  return c;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

async function writeHolder(h: Partial<LockHolder>): Promise<LockHolder> {
  const full: LockHolder = { user: 'carol', host: hostname(), pid: 1, action: 'rollback', startedAt: Date.now() - 60_000, planFile: plan, token: 'abc123', ...h };
  await mkdir(join(dir, '.flightdeck'), { recursive: true });
  await writeFile(lockPathFor(plan), JSON.stringify(full));
  return full;
}

async function until(test: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the lock and the process group of the running step', () => {
  it('a holder killed after starting a step but before recording its group: the step is found by the holder\'s mark, the lock stays orphaned until it ends', async () => {
    const pid = await deadPid();
    const mark = holderMark({ token: 'def456', pid, startedAt: 1 });
    const s = step(30, mark);
    const other = step(30, holderMark({ token: 'someone-else', pid, startedAt: 1 }));
    // Exec'd: until then a forked child's environment is still its parent's.
    const execd = (c: ChildProcess) => existsSync(`/proc/${c.pid}/environ`) && readFileSync(`/proc/${c.pid}/environ`, 'latin1').includes(`${HOLDER_ENV}=`);
    await until(() => execd(s) && execd(other));
    const h = await writeHolder({ pid, token: 'def456' });
    expect(h.pgid).toBeUndefined();
    expect((await inspectLock(plan))?.state).toBe('orphaned');
    expect(describeHolder(h, Date.now())).toContain(`its process group ${s.pid} still runs`);
    expect(await clearStaleLock(plan, h)).toBe(false);
    expect((await acquireActionLock({ planFile: plan, action: 'rollback', operator: 'alice' })).ok).toBe(false);
    // Only its own mark counts: another holder's step running does not hold this lock.
    process.kill(-s.pid!, 'SIGKILL');
    await until(() => !processGroupAlive(s.pid!));
    expect(processGroupAlive(other.pid!)).toBe(true);
    expect((await inspectLock(plan))?.state).toBe('stale');
  });

  it('a dead holder whose step group still runs is orphaned, not stale: refused until the group ends, then taken with the abandoned holder', async () => {
    const s = step(30);
    const h = await writeHolder({ pid: await deadPid(), pgid: s.pid! });
    expect(processGroupAlive(s.pid!)).toBe(true);
    expect(await inspectLock(plan)).toEqual({ holder: h, state: 'orphaned' });
    expect(await readLockHolder(plan)).toEqual(h);
    const refused = await acquireActionLock({ planFile: plan, action: 'rollback', operator: 'alice' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(describeHolder(refused.holder, Date.now())).toMatch(new RegExp(`^rollback by carol@\\S+ running for 6\\d s \\(the flightdeck that started it is gone; its process group ${s.pid} still runs\\)$`));
    // nobody may clear it while the group runs
    expect(await clearStaleLock(plan, h)).toBe(false);

    process.kill(-s.pid!, 'SIGKILL');
    await until(() => !processGroupAlive(s.pid!));
    expect((await inspectLock(plan))?.state).toBe('stale');
    const taken = await acquireActionLock({ planFile: plan, action: 'rollback', operator: 'alice' });
    expect(taken.ok).toBe(true);
    if (taken.ok) {
      expect(taken.abandoned).toMatchObject({ user: 'carol', token: 'abc123', pgid: s.pid });
      await taken.release();
    }
  });

  it('recordGroup writes the group into the lock whole; release removes it', async () => {
    const r = await acquireActionLock({ planFile: plan, action: 'rollback', operator: 'alice', stageId: 'canary-10' });
    if (!r.ok) throw new Error('not taken');
    expect(r.abandoned).toBeUndefined();
    const s = step(30);
    await r.recordGroup(s.pid!);
    const onDisk = JSON.parse(await readFile(lockPathFor(plan), 'utf8')) as LockHolder;
    expect(onDisk).toMatchObject({ pid: process.pid, pgid: s.pid, stageId: 'canary-10', token: r.holder.token });
    await r.recordGroup(undefined);
    expect((JSON.parse(await readFile(lockPathFor(plan), 'utf8')) as LockHolder).pgid).toBeUndefined();
    await r.release();
    expect(await inspectLock(plan)).toBeNull();
  });

  it('clearStaleLock removes a stale lock once, only for the same token', async () => {
    const h = await writeHolder({ pid: await deadPid() });
    expect(await clearStaleLock(plan, { ...h, token: 'other' })).toBe(false);
    const both = await Promise.all([clearStaleLock(plan, h), clearStaleLock(plan, h)]);
    expect(both.filter(Boolean)).toHaveLength(1);
    expect(await inspectLock(plan)).toBeNull();
  });
});

describe('kill -9 of the holder process', () => {
  let holderScript: string;
  let work: string;
  beforeAll(async () => {
    const src = await readFile(resolve(__dirname, '../../src/actions/lock.ts'), 'utf8');
    const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    work = await mkdtemp(join(tmpdir(), 'fd-lockgrp-mod-'));
    await writeFile(join(work, 'lock.mjs'), js);
    holderScript = join(work, 'holder.mjs');
    // Takes the lock, starts a step in its own group, records it, says so, and waits to be killed.
    await writeFile(
      holderScript,
      `import { spawn } from 'node:child_process';
import { acquireActionLock } from ${JSON.stringify(join(work, 'lock.mjs'))};
const [planFile, seconds] = process.argv.slice(2);
const r = await acquireActionLock({ planFile, action: 'rollback', operator: 'holder' });
if (!r.ok) { console.log(JSON.stringify({ ok: false })); process.exit(1); }
const s = spawn('sleep', [seconds], { detached: true, stdio: 'ignore' });
await r.recordGroup(s.pid);
console.log(JSON.stringify({ ok: true, pgid: s.pid }));
setInterval(() => {}, 1000);
`,
    );
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('no second action can take the lock until the killed holder\'s step has ended', async () => {
    const holder = spawn(process.execPath, [holderScript, plan, '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((r) => createInterface({ input: holder.stdout! }).once('line', r));
    const { pgid } = JSON.parse(line) as { pgid: number };
    spawned.push({ pid: pgid } as ChildProcess);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));

    const t0 = Date.now();
    let attempts = 0;
    let taken;
    for (;;) {
      attempts++;
      const runningBefore = processGroupAlive(pgid);
      taken = await acquireActionLock({ planFile: plan, action: 'rollback', operator: 'second' });
      if (taken.ok) break;
      // Refused only while the step still ran (it may end while the lock is being judged).
      expect(runningBefore).toBe(true);
      if (Date.now() - t0 > 10_000) throw new Error('never taken');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(processGroupAlive(pgid)).toBe(false);
    expect(attempts).toBeGreaterThan(5);
    expect(taken.abandoned).toMatchObject({ user: 'holder', pgid, pid: holder.pid });
    await taken.release();
  });
});
