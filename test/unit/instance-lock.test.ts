import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { lockGuard, moveAsideIfStale } from '../../src/guard/instance-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-ilock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const age = (path: string, ms: number) => utimes(path, new Date(Date.now() - ms), new Date(Date.now() - ms));

it('moves aside and removes only a lock older than the limit', async () => {
  const lock = join(dir, 'rec.json.lock');
  expect(await moveAsideIfStale(lock, 3_000)).toBe(false);
  await mkdir(lock);
  expect(await moveAsideIfStale(lock, 3_000)).toBe(false);
  expect(existsSync(lock)).toBe(true);
  await age(lock, 4_000);
  expect(await moveAsideIfStale(lock, 3_000)).toBe(true);
  expect(await readdir(dir)).toEqual([]);
});

it("takes a lock whose record names a holder that no longer runs once it is 3 s stale, and a live holder's not", async () => {
  const rec = join(dir, 'rec.json');
  await mkdir(`${rec}.lock`);
  await age(`${rec}.lock`, 3_500);
  // pid 1 runs (init), with another start time than recorded: a reused pid is a dead holder.
  await writeFile(rec, JSON.stringify({ pid: 1, pidStart: -7, socket: 's', planFile: 'p' }));
  const t0 = Date.now();
  const release = await lockGuard(rec, { waitMs: 2_000, onCompromised: () => undefined });
  expect(release).not.toBeNull();
  expect(Date.now() - t0).toBeLessThan(2_000);
  await release!();

  await mkdir(`${rec}.lock`);
  await age(`${rec}.lock`, 5_000);
  await writeFile(rec, JSON.stringify({ pid: process.pid, socket: 's', planFile: 'p' }));
  expect(await lockGuard(rec, { waitMs: 1_000, onCompromised: () => undefined })).toBeNull();
  expect(existsSync(`${rec}.lock`)).toBe(true);
});
