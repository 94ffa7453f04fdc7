/**
 * One action at a time across every Flightdeck on the machine watching the
 * same plan. The lock is a file, `<planDir>/.flightdeck/<planBasename>.lock`,
 * holding the holder as JSON. It is created complete in one step: the JSON is
 * written to a private temp file which is then hard-linked to the lock name
 * (link fails with EEXIST when the lock exists), so nobody ever reads a
 * half-written holder and exactly one contender wins.
 *
 * A lock whose holder process is gone (same host, pid not alive, or alive
 * but started later than the holder did: a reused pid) is stale. Taking it
 * over goes through a short exclusive "takeover" file, and the stale lock is
 * only removed after re-reading it under that guard and finding the very
 * same bytes, so two contenders that both saw it stale cannot both win.
 *
 * Node builtins only (tests run this file in plain node processes).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

export interface LockHolder {
  /** The operator (as given to acquireActionLock). */
  user: string;
  host: string;
  pid: number;
  /** What is running: "rollback", "promote canary-10 -> full", … */
  action: string;
  /** Epoch ms. */
  startedAt: number;
  /** Absolute path of the plan file. */
  planFile: string;
  /** The holder process's start time (Linux clock ticks since boot), to tell a reused pid. */
  pidStart?: number;
  /** Random id of this acquisition. */
  token?: string;
}

export interface LockOptions {
  planFile: string;
  /** "rollback", "promote", … shown to whoever is refused. */
  action: string;
  operator: string;
  /** Directory for the lock file (default `<planDir>/.flightdeck`). */
  dir?: string;
  /** Epoch ms source for startedAt (default Date.now). */
  now?: () => number;
}

export type LockResult = { ok: true; holder: LockHolder; path: string; release(): Promise<void> } | { ok: false; holder: LockHolder };

export class LockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockError';
  }
}

/** Where the lock for a plan lives. */
export function lockPathFor(planFile: string, dir?: string): string {
  const plan = resolve(planFile);
  return join(dir ? resolve(dir) : join(dirname(plan), '.flightdeck'), `${basename(plan)}.lock`);
}

const MAX_ATTEMPTS = 50;
/** A takeover guard older than this was left by a crash (it is held for a few fs calls). */
const GUARD_STALE_MS = 5_000;

export async function acquireActionLock(opts: LockOptions): Promise<LockResult> {
  const path = lockPathFor(opts.planFile, opts.dir);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o775 });
  } catch (err) {
    throw new LockError(`cannot create the lock directory ${dirname(path)} (${codeOf(err)}); choose another with the lock dir option`);
  }
  const holder: LockHolder = {
    user: opts.operator,
    host: safeHostname(),
    pid: process.pid,
    action: opts.action,
    startedAt: (opts.now ?? Date.now)(),
    planFile: resolve(opts.planFile),
    token: randomBytes(8).toString('hex'),
  };
  const start = processStartTime(process.pid);
  if (start !== undefined) holder.pidStart = start;
  const body = `${JSON.stringify(holder)}\n`;
  const tmp = `${path}.${process.pid}.${holder.token}.tmp`;
  try {
    await writeFile(tmp, body, { mode: 0o664, flag: 'wx' });
  } catch (err) {
    throw new LockError(`cannot write in the lock directory ${dirname(path)} (${codeOf(err)})`);
  }
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await tryLink(tmp, path)) return won(path, holder, body);
      const seen = await readRaw(path);
      if (seen === undefined) continue; // released between our link and read: try again
      const current = parseHolder(seen);
      if (current && !isStale(current)) return { ok: false, holder: current };
      // Stale (or not a holder at all): remove it under the takeover guard, then race for it again.
      await takeOver(path, seen);
      await delay(attempt < 5 ? 1 : 10);
    }
    const last = await readLockHolder(opts.planFile, opts.dir);
    if (last) return { ok: false, holder: last };
    throw new LockError(`could not take the lock ${path}: it keeps changing hands`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** The live holder of a plan's lock, or null when nobody holds it (a stale lock counts as free). */
export async function readLockHolder(planFile: string, dir?: string): Promise<LockHolder | null> {
  const raw = await readRaw(lockPathFor(planFile, dir));
  if (raw === undefined) return null;
  const h = parseHolder(raw);
  return h && !isStale(h) ? h : null;
}

/** "rollback by alice@bastion running for 42 s" */
export function describeHolder(h: LockHolder, now: number): string {
  return `${h.action} by ${h.user}@${h.host} running for ${formatElapsed(now - h.startedAt)}`;
}

function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function won(path: string, holder: LockHolder, body: string): LockResult {
  let released = false;
  return {
    ok: true,
    holder,
    path,
    async release() {
      if (released) return;
      released = true;
      // Only remove the lock if it is still ours (it cannot be taken over while we live, but be sure).
      if ((await readRaw(path)) === body) await unlink(path).catch(() => undefined);
    },
  };
}

async function takeOver(path: string, staleBytes: string): Promise<void> {
  const guard = `${path}.takeover`;
  try {
    await writeFile(guard, `${process.pid}\n`, { flag: 'wx', mode: 0o664 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new LockError(`cannot take over the stale lock ${path} (${codeOf(err)})`);
    await clearDeadGuard(guard);
    return;
  }
  try {
    if ((await readRaw(path)) === staleBytes) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

async function clearDeadGuard(guard: string): Promise<void> {
  try {
    const [raw, st] = await Promise.all([readFile(guard, 'utf8'), stat(guard)]);
    const pid = Number.parseInt(raw, 10);
    const dead = Number.isInteger(pid) && pid > 0 && !pidAlive(pid);
    if (dead || Date.now() - st.mtimeMs > GUARD_STALE_MS) await unlink(guard).catch(() => undefined);
  } catch {
    // gone already, or unreadable mid-write: the next attempt will see
  }
}

function isStale(h: LockHolder): boolean {
  if (h.host !== safeHostname()) return false; // cannot see another machine's processes
  if (!pidAlive(h.pid)) return true;
  if (h.pidStart !== undefined) {
    const now = processStartTime(h.pid);
    if (now !== undefined && now !== h.pidStart) return true;
  }
  return false;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie has exited; it only waits for its parent to reap it.
  const state = procStat(pid)?.state;
  return state !== 'Z' && state !== 'X';
}

function procStat(pid: number): { state: string; start: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const start = Number(rest[19]);
    return { state: rest[0] ?? '', start };
  } catch {
    return undefined;
  }
}

function processStartTime(pid: number): number | undefined {
  const s = procStat(pid)?.start;
  return s !== undefined && Number.isFinite(s) ? s : undefined;
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const h = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof h.user === 'string' && typeof h.host === 'string' && typeof h.pid === 'number' && typeof h.action === 'string' && typeof h.startedAt === 'number') {
      return { ...h, planFile: typeof h.planFile === 'string' ? h.planFile : '' } as LockHolder;
    }
  } catch {
    // not a holder
  }
  return undefined;
}

async function tryLink(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new LockError(`cannot create the lock ${to} (${codeOf(err)})`);
  }
}

async function readRaw(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LockError(`cannot read the lock ${path} (${codeOf(err)})`);
  }
}

function safeHostname(): string {
  try {
    return hostname() || 'localhost';
  } catch {
    return 'localhost';
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function codeOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (e instanceof Error ? e.message : String(err));
}
