/**
 * One action at a time across every Flightdeck on the machine watching the
 * same plan. The lock is a file, `<planDir>/.flightdeck/<planBasename>.lock`,
 * holding the holder as JSON. It is created complete in one step: the JSON is
 * written to a private temp file which is then hard-linked to the lock name
 * (link fails with EEXIST when the lock exists), so nobody ever reads a
 * half-written holder and exactly one contender wins.
 *
 * The holder records the process group of the step it is running
 * (recordGroup). A lock is stale only when its holder process is gone (same
 * host, pid not alive, or alive but started later than the holder did: a
 * reused pid) AND no process of its recorded group is left: killing a
 * Flightdeck (kill -9) whose script still runs never frees the lock, so no
 * second action can overlap the first. Such a lock is "orphaned": whoever
 * finds it may adopt the action (wait for the group, audit its end). Taking it
 * over goes through a short exclusive "takeover" file, and the stale lock is
 * only removed after re-reading it under that guard and finding the very
 * same bytes, so two contenders that both saw it stale cannot both win.
 *
 * Node builtins only (tests run this file in plain node processes).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
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
  /** Random id of this acquisition (the audit's actionId). */
  token?: string;
  /** The stage acted on. */
  stageId?: string;
  /** Started by Flightdeck itself (a failing gate's rollback), not by an operator: the audit names it `auto-rollback`. */
  auto?: boolean;
  /** The process group of the step running now (its leader's pid); the lock holds while any of it runs. */
  pgid?: number;
  /** Groups a step left running on purpose (`leftovers: leave`): they carry the holder's mark but do not hold the lock. */
  disowned?: number[];
}

/** alive: its holder runs; orphaned: the holder is gone but its step's process group still runs; stale: free to take. */
export type HolderState = 'alive' | 'orphaned' | 'stale';

export interface LockOptions {
  planFile: string;
  /** "rollback", "promote", … shown to whoever is refused. */
  action: string;
  operator: string;
  /** Directory for the lock file (default `<planDir>/.flightdeck`). */
  dir?: string;
  /** Epoch ms source for startedAt (default Date.now). */
  now?: () => number;
  stageId?: string;
  auto?: boolean;
}

export interface HeldLock {
  ok: true;
  holder: LockHolder;
  path: string;
  /** A stale lock this acquisition removed: an action whose end nobody recorded. */
  abandoned?: LockHolder;
  /** Records the process group now running for this action (undefined: none); `disowned`: a group left running on purpose. */
  recordGroup(pgid: number | undefined, disowned?: number): Promise<void>;
  release(): Promise<void>;
}

export type LockResult = HeldLock | { ok: false; holder: LockHolder };

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
  if (opts.stageId !== undefined) holder.stageId = opts.stageId;
  if (opts.auto) holder.auto = true;
  const start = processStartTime(process.pid);
  if (start !== undefined) holder.pidStart = start;
  const body = `${JSON.stringify(holder)}\n`;
  const tmp = `${path}.${process.pid}.${holder.token}.tmp`;
  try {
    await writeFile(tmp, body, { mode: 0o664, flag: 'wx' });
  } catch (err) {
    throw new LockError(`cannot write in the lock directory ${dirname(path)} (${codeOf(err)})`);
  }
  let abandoned: LockHolder | undefined;
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await tryLink(tmp, path)) return won(path, holder, body, abandoned);
      const seen = await readRaw(path);
      if (seen === undefined) continue; // released between our link and read: try again
      const current = parseHolder(seen);
      if (current && holderState(current) !== 'stale') return { ok: false, holder: current };
      // Stale (or not a holder at all): remove it under the takeover guard, then race for it again.
      if ((await takeOver(path, seen)) && current) abandoned = current;
      await delay(attempt < 5 ? 1 : 10);
    }
    const last = await readLockHolder(opts.planFile, opts.dir);
    if (last) return { ok: false, holder: last };
    throw new LockError(`could not take the lock ${path}: it keeps changing hands`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** The live (or orphaned) holder of a plan's lock, or null when nobody holds it (a stale lock counts as free). */
export async function readLockHolder(planFile: string, dir?: string): Promise<LockHolder | null> {
  const found = await inspectLock(planFile, dir);
  return found && found.state !== 'stale' ? found.holder : null;
}

/** The lock's holder as recorded, with its state; null when there is no lock (or it is not a holder). */
export async function inspectLock(planFile: string, dir?: string): Promise<{ holder: LockHolder; state: HolderState } | null> {
  const raw = await readRaw(lockPathFor(planFile, dir));
  if (raw === undefined) return null;
  const h = parseHolder(raw);
  return h ? { holder: h, state: holderState(h) } : null;
}

/**
 * Removes the plan's lock if it is stale and still the very holder given (same token). Resolves
 * true when this call removed it: exactly one of several callers does, and that one records its end.
 */
export async function clearStaleLock(planFile: string, holder: LockHolder, dir?: string): Promise<boolean> {
  const path = lockPathFor(planFile, dir);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const raw = await readRaw(path);
    if (raw === undefined) return false;
    const h = parseHolder(raw);
    if (!h || h.token !== holder.token || holderState(h) !== 'stale') return false;
    if (await takeOver(path, raw)) return true;
    await delay(10);
  }
  return false;
}

/** "rollback by alice@bastion running for 42 s" (+ "…, its flightdeck is gone: process group 123 still running") */
export function describeHolder(h: LockHolder, now: number): string {
  const base = `${h.action} by ${h.user}@${h.host} running for ${formatElapsed(now - h.startedAt)}`;
  const group = holderState(h) === 'orphaned' ? runningGroup(h) : undefined;
  return group !== undefined ? `${base} (the flightdeck that started it is gone; its process group ${group} still runs)` : base;
}

/** Whether a holder still runs, is gone but left its step's process group running, or is gone altogether. */
export function holderState(h: LockHolder): HolderState {
  if (h.host !== safeHostname()) return 'alive'; // cannot see another machine's processes
  if (!holderGone(h)) return 'alive';
  return runningGroup(h) !== undefined ? 'orphaned' : 'stale';
}

/**
 * Every step of an action runs with this variable set to its holder's mark: a holder killed between
 * starting a step and recording the step's group in the lock (a database round trip, longer under
 * load) has left a step running that the lock does not name, and the mark still finds it.
 */
export const HOLDER_ENV = 'FLIGHTDECK_LOCK_HOLDER';

export function holderMark(h: Pick<LockHolder, 'token' | 'pid' | 'startedAt'>): string {
  return h.token ?? `${h.pid}-${h.startedAt}`;
}

/**
 * The process group of the holder's step that runs now, on this host: the one the lock names if it
 * still runs, else one whose processes carry the holder's mark (a step started but not yet recorded).
 */
export function runningGroup(h: LockHolder): number | undefined {
  if (h.pgid !== undefined && processGroupAlive(h.pgid)) return h.pgid;
  return markedGroup(`${HOLDER_ENV}=${holderMark(h)}`, new Set(h.disowned ?? []));
}

/** The holder with the group now running (undefined: none) and one more group left running on purpose. */
export function withGroup(h: LockHolder, pgid: number | undefined, disowned?: number): LockHolder {
  const next: LockHolder = { ...h };
  if (pgid === undefined) delete next.pgid;
  else next.pgid = pgid;
  if (disowned !== undefined) next.disowned = [...(h.disowned ?? []), disowned];
  return next;
}

function markedGroup(entry: string, skip: Set<number>): number | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue; // gone, or another user's
    }
    if (!env.split('\0').includes(entry)) continue;
    const st = procStat(Number(name));
    if (st && st.state !== 'Z' && st.state !== 'X' && st.pgrp > 1 && !skip.has(st.pgrp)) return st.pgrp;
  }
  return undefined;
}

/**
 * Whether any process of the group is still running (zombies do not count). A group id cannot be
 * reused while the group has a member, so a live group is the recorded one.
 */
export function processGroupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') return true;
  }
  return false;
}

function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function won(path: string, holder: LockHolder, first: string, abandoned: LockHolder | undefined): HeldLock {
  let released = false;
  let body = first;
  let writes: Promise<void> = Promise.resolve();
  const result: HeldLock = {
    ok: true,
    holder,
    path,
    recordGroup(pgid, disowned) {
      // Serialised: the lock file always holds the latest group. Written whole (temp file + rename).
      writes = writes.then(async () => {
        if (released) return;
        const next: LockHolder = withGroup(holder, pgid, disowned);
        const text = `${JSON.stringify(next)}\n`;
        if ((await readRaw(path)) !== body) return; // not ours any more (cannot happen while we live)
        const tmp = `${path}.${process.pid}.${holder.token}.group.tmp`;
        await writeFile(tmp, text, { mode: 0o664 });
        await rename(tmp, path);
        body = text;
        Object.assign(holder, next);
        if (next.pgid === undefined) delete holder.pgid;
      });
      return writes;
    },
    async release() {
      if (released) return;
      await writes.catch(() => undefined);
      released = true;
      // Only remove the lock if it is still ours (it cannot be taken over while we live, but be sure).
      if ((await readRaw(path)) === body) await unlink(path).catch(() => undefined);
    },
  };
  if (abandoned) result.abandoned = abandoned;
  return result;
}

/** Removes the stale lock if it still holds these bytes; true when this call removed it. */
async function takeOver(path: string, staleBytes: string): Promise<boolean> {
  const guard = `${path}.takeover`;
  try {
    await writeFile(guard, `${process.pid}\n`, { flag: 'wx', mode: 0o664 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new LockError(`cannot take over the stale lock ${path} (${codeOf(err)})`);
    await clearDeadGuard(guard);
    return false;
  }
  try {
    if ((await readRaw(path)) !== staleBytes) return false;
    await unlink(path);
    return true;
  } catch {
    return false;
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

function holderGone(h: LockHolder): boolean {
  if (!pidAlive(h.pid)) return true;
  if (h.pidStart !== undefined) {
    const now = processStartTime(h.pid);
    if (now !== undefined && now !== h.pidStart) return true;
  }
  return false;
}

export function pidAlive(pid: number): boolean {
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

function procStat(pid: number): { state: string; start: number; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const start = Number(rest[19]);
    return { state: rest[0] ?? '', start, pgrp: Number(rest[2]) };
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
      const out = { ...h, planFile: typeof h.planFile === 'string' ? h.planFile : '' } as LockHolder;
      if (typeof out.pgid !== 'number') delete out.pgid;
      if (out.auto !== true) delete out.auto;
      if (!Array.isArray(out.disowned) || !out.disowned.every((g) => typeof g === 'number')) delete out.disowned;
      return out;
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
