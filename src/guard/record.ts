/**
 * The running guard's record: written when it serves, removed when it stops,
 * and judged by the pid (and that pid's start time) so a record left by a
 * killed guard is never taken for a running one.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { guardPaths, registryDir } from './paths.js';

export interface GuardRecord {
  pid: number;
  pidStart?: number;
  planFile: string;
  service: string;
  socket: string;
  log: string;
  /** Epoch ms. */
  startedAt: number;
  user: string;
  stateDir: string;
}

export async function writeGuardRecord(rec: GuardRecord, info: string, registryEntry: string): Promise<void> {
  const text = `${JSON.stringify(rec)}\n`;
  await writeFile(`${info}.tmp`, text, { mode: 0o644 });
  const { rename } = await import('node:fs/promises');
  await rename(`${info}.tmp`, info);
  try {
    await mkdir(dirname(registryEntry), { recursive: true, mode: 0o1777 });
    await chmod(dirname(registryEntry), 0o1777).catch(() => undefined);
    await writeFile(registryEntry, text, { mode: 0o644 });
  } catch {
    // `status` will not list it; the plan's own record still finds it
  }
}

export async function removeGuardRecord(info: string, registryEntry: string, pid: number): Promise<void> {
  for (const f of [info, registryEntry]) {
    const r = await readRecord(f);
    if (r && r.pid === pid) await rm(f, { force: true });
  }
}

/** The guard running for this plan, or null. */
export async function findGuard(planFile: string, stateDir?: string): Promise<GuardRecord | null> {
  const r = await readRecord(guardPaths(planFile, stateDir).info);
  return r && recordAlive(r) ? r : null;
}

/** Every guard running on this machine (that this user can see). */
export async function listGuards(env: NodeJS.ProcessEnv = process.env): Promise<GuardRecord[]> {
  const dir = registryDir(env);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: GuardRecord[] = [];
  for (const n of names.filter((x) => x.endsWith('.json'))) {
    const r = await readRecord(join(dir, n));
    if (r && recordAlive(r)) out.push(r);
  }
  return out.sort((a, b) => a.planFile.localeCompare(b.planFile));
}

/** The record in `file`, alive or not; null when missing or half-written. */
export async function readRecord(file: string): Promise<GuardRecord | null> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as Partial<GuardRecord>;
    if (typeof r.pid === 'number' && typeof r.socket === 'string' && typeof r.planFile === 'string') return r as GuardRecord;
  } catch {
    // missing or half-written
  }
  return null;
}

export function recordAlive(r: GuardRecord): boolean {
  try {
    process.kill(r.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(r.pid);
  return r.pidStart === undefined || start === undefined || start === r.pidStart;
}

export function processStart(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return -1;
    const n = Number(rest[19]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
