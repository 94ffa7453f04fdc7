/**
 * One guard per plan per machine: a proper-lockfile lock on the guard's
 * record file, refreshed every second while the guard runs.
 *
 * A guard killed with -9 leaves its lock behind, and proper-lockfile takes
 * over a lock only once it is 10 s old: a restarted guard (by hand, by
 * systemd) waited that long (measured 9.8 s in a stranger's trial). When the
 * record beside the lock names a holder that no longer runs (its pid is gone,
 * or reused: the start time differs), three missed refreshes are proof
 * enough: the lock is moved aside once 3 s old and taken. Moving it aside is a
 * compare-and-remove: a rename to a name of our own, then a check that what
 * moved is the lock we judged (its inode); anything else is put back. A
 * guard that has just taken the lock and not yet written its record keeps it
 * fresh, so it is never judged 3 s stale.
 */
import { rename, rm, stat } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { readRecord, recordAlive } from './record.js';

export const LOCK_STALE_MS = 10_000;
export const LOCK_UPDATE_MS = 1_000;
export const DEAD_HOLDER_STALE_MS = 3_000;

export interface GuardLockOptions {
  /** How long to keep trying while another guard holds it (default 15 s). */
  waitMs?: number;
  onCompromised(err: Error): void;
}

/** Takes the lock on `recordFile`; resolves to its release, or null when another guard holds it. */
export async function lockGuard(recordFile: string, o: GuardLockOptions): Promise<(() => Promise<void>) | null> {
  const deadline = Date.now() + (o.waitMs ?? 15_000);
  for (;;) {
    try {
      return await lockfile.lock(recordFile, { realpath: false, stale: LOCK_STALE_MS, update: LOCK_UPDATE_MS, onCompromised: o.onCompromised });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() >= deadline) return null;
    }
    const holder = await readRecord(recordFile);
    if (holder && !recordAlive(holder)) await moveAsideIfStale(`${recordFile}.lock`, DEAD_HOLDER_STALE_MS);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Removes the lock directory if it is older than `staleMs`, and only the one judged so. */
export async function moveAsideIfStale(lockDir: string, staleMs: number): Promise<boolean> {
  const judged = await stat(lockDir).catch(() => null);
  if (!judged || Date.now() - judged.mtimeMs < staleMs) return false;
  const aside = `${lockDir}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(lockDir, aside);
  } catch {
    return false;
  }
  const moved = await stat(aside).catch(() => null);
  if (!moved || moved.ino !== judged.ino || moved.dev !== judged.dev) {
    // Another guard's fresh lock took its place between the two calls: give it back.
    await rename(aside, lockDir).catch(() => undefined);
    return false;
  }
  await rm(aside, { recursive: true, force: true });
  return true;
}
