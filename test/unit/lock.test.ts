import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireActionLock, describeHolder, lockPathFor, readLockHolder, type LockHolder } from '../../src/actions/lock.js';

let dir: string;
let plan: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-lock-'));
  plan = join(dir, 'dhash.yaml');
  await writeFile(plan, 'service: dhash\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that certainly belongs to no process: one that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

async function writeHolder(h: Partial<LockHolder>): Promise<void> {
  const full: LockHolder = { user: 'carol', host: hostname(), pid: 1, action: 'rollback', startedAt: Date.now() - 60_000, planFile: plan, ...h };
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, '.flightdeck'), { recursive: true });
  await writeFile(lockPathFor(plan), JSON.stringify(full));
}

describe('action lock, in process', () => {
  it('puts the lock beside the plan', () => {
    expect(lockPathFor(plan)).toBe(join(dir, '.flightdeck', 'dhash.yaml.lock'));
    expect(lockPathFor(plan, '/var/lock/fd')).toBe('/var/lock/fd/dhash.yaml.lock');
  });

  it('exactly one of several concurrent contenders wins; the others are told who holds it', async () => {
    const results = await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map((op) => acquireActionLock({ planFile: plan, action: `rollback (${op})`, operator: op })));
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    for (const r of results.filter((x) => !x.ok)) expect(r.holder).toEqual(winner.holder);
    expect(winner.holder).toMatchObject({ host: hostname(), pid: process.pid, planFile: plan });

    const onDisk = JSON.parse(await readFile(lockPathFor(plan), 'utf8')) as LockHolder;
    expect(onDisk).toEqual(winner.holder);
    expect(await readLockHolder(plan)).toEqual(winner.holder);

    if (!winner.ok) throw new Error('unreachable');
    await winner.release();
    expect(await readLockHolder(plan)).toBeNull();
    const again = await acquireActionLock({ planFile: plan, action: 'promote', operator: 'bob' });
    expect(again.ok).toBe(true);
    if (again.ok) await again.release();
  });

  it('a lock held by a dead process is taken over', async () => {
    const pid = await deadPid();
    await writeHolder({ pid, user: 'ghost' });
    expect(await readLockHolder(plan)).toBeNull();
    const r = await acquireActionLock({ planFile: plan, action: 'rollback', operator: 'alice' });
    expect(r.ok).toBe(true);
    expect((JSON.parse(await readFile(lockPathFor(plan), 'utf8')) as LockHolder).user).toBe('alice');
    if (r.ok) await r.release();
  });

  it('a reused pid (same pid, different start time) is stale; another host is never judged', async () => {
    await writeHolder({ pid: process.pid, pidStart: 1 });
    const reused = await acquireActionLock({ planFile: plan, action: 'rollback', operator: 'alice' });
    expect(reused.ok).toBe(true);
    if (reused.ok) await reused.release();

    await writeHolder({ pid: await deadPid(), host: 'some-other-host' });
    const foreign = await acquireActionLock({ planFile: plan, action: 'rollback', operator: 'alice' });
    expect(foreign.ok).toBe(false);
    if (!foreign.ok) expect(foreign.holder.host).toBe('some-other-host');
  });

  it('a garbled lock file is taken over', async () => {
    await writeHolder({});
    await writeFile(lockPathFor(plan), '{"user": "tru');
    const r = await acquireActionLock({ planFile: plan, action: 'rollback', operator: 'alice' });
    expect(r.ok).toBe(true);
    if (r.ok) await r.release();
  });

  it('describes the holder', () => {
    const h: LockHolder = { user: 'alice', host: 'bastion', pid: 42, action: 'rollback', startedAt: 1_000, planFile: plan };
    expect(describeHolder(h, 43_000)).toBe('rollback by alice@bastion running for 42 s');
    expect(describeHolder(h, 1_000 + 5 * 60_000)).toBe('rollback by alice@bastion running for 5 min');
    expect(describeHolder(h, 1_000 + 150 * 60_000)).toBe('rollback by alice@bastion running for 2 h 30 min');
  });
});

describe('action lock, across processes', () => {
  let lockModule: string;
  let racer: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // Plain node cannot load .ts: the racers run the same lock.ts, transpiled (it imports only node builtins).
    const src = await readFile(resolve(__dirname, '../../src/actions/lock.ts'), 'utf8');
    const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const work = await mkdtemp(join(tmpdir(), 'fd-lock-mod-'));
    lockModule = join(work, 'lock.mjs');
    racer = join(work, 'racer.mjs');
    await writeFile(lockModule, js);
    await writeFile(
      racer,
      `import { acquireActionLock } from ${JSON.stringify(lockModule)};
const [planFile, operator, goAt] = process.argv.slice(2);
await new Promise((r) => setTimeout(r, Math.max(0, Number(goAt) - Date.now())));
const r = await acquireActionLock({ planFile, action: 'rollback', operator });
process.stdout.write(JSON.stringify({ ok: r.ok, holder: r.holder }) + '\\n');
if (r.ok) {
  process.stdin.resume();
  process.stdin.on('end', async () => { await r.release(); process.exit(0); });
} else process.exit(0);
`,
    );
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await rm(resolve(lockModule, '..'), { recursive: true, force: true });
  });

  async function race(n: number): Promise<Array<{ child: ChildProcess; result: { ok: boolean; holder: LockHolder } }>> {
    const goAt = Date.now() + 700;
    const started = Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, [racer, plan, `op${i}`, String(goAt)], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(child);
      const line = new Promise<string>((resolveLine, reject) => {
        const rl = createInterface({ input: child.stdout! });
        rl.once('line', resolveLine);
        child.once('exit', (code) => reject(new Error(`racer exited ${code} without answering`)));
      });
      return line.then((l) => ({ child, result: JSON.parse(l) as { ok: boolean; holder: LockHolder } }));
    });
    return Promise.all(started);
  }

  it('exactly one of four node processes wins; the vitest process is refused, then takes over once the winner dies', async () => {
    const results = await race(4);
    const winners = results.filter((r) => r.result.ok);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(winner.result.holder.pid).toBe(winner.child.pid);
    for (const r of results.filter((x) => !x.result.ok)) expect(r.result.holder.pid).toBe(winner.child.pid);

    const refused = await acquireActionLock({ planFile: plan, action: 'promote', operator: 'me' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.holder.user).toBe(winner.result.holder.user);

    winner.child.kill('SIGKILL');
    await new Promise((r) => winner.child.once('exit', r));
    const taken = await acquireActionLock({ planFile: plan, action: 'promote', operator: 'me' });
    expect(taken.ok).toBe(true);
    if (taken.ok) await taken.release();
  });

  it('a live holder releases cleanly when done', async () => {
    const [only] = await race(1);
    expect(only!.result.ok).toBe(true);
    expect((await readLockHolder(plan))?.pid).toBe(only!.child.pid);
    only!.child.stdin!.end();
    await new Promise((r) => only!.child.once('exit', r));
    expect(await readLockHolder(plan)).toBeNull();
  });

  it('exactly one wins the takeover of a stale lock', async () => {
    await writeHolder({ pid: await deadPid(), user: 'ghost' });
    const results = await race(4);
    const winners = results.filter((r) => r.result.ok);
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => !x.result.ok)) expect(r.result.holder.pid).toBe(winners[0]!.child.pid);
    expect((JSON.parse(await readFile(lockPathFor(plan), 'utf8')) as LockHolder).pid).toBe(winners[0]!.child.pid);
  });
});
