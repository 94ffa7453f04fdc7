/**
 * What the action tests share: the fixture scripts, a plan written with its
 * audit and logs beside it, what ran (the marker scripts' order file) and the
 * audit read back, the process table for one pid, and an action context.
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ActionContext } from '../../src/actions/types.js';
import { ROOT } from './cli.js';

export const FIX = `${ROOT}fixtures/actions`;
export const MARKER = `${FIX}/marker.sh`;
export const HANG = `${FIX}/hang.sh`;
export const FAIL = `${FIX}/fail.sh`;
export const FORKS = `${FIX}/forks.sh`;

/** Writes a plan whose audit is `audit.jsonl` and whose logs go to `logs/`, beside it. */
export function writeActPlan(file: string, plan: { service: string; stages: unknown[]; notify?: unknown[] | undefined }): Promise<void> {
  return writeFile(file, stringify({ service: plan.service, audit: { file: 'audit.jsonl' }, logs: { dir: 'logs' }, ...(plan.notify ? { notify: plan.notify } : {}), stages: plan.stages }));
}

/** The names the marker scripts appended to `dir/order`, in order; none when nothing ran. */
export async function readOrder(dir: string): Promise<string[]> {
  return (await readFile(join(dir, 'order'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

/** The lines of `dir/audit.jsonl`. */
export async function readAudit(dir: string): Promise<any[]> {
  return (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
}

/** Running, with its parent and process group; undefined when gone or a zombie (this container's init does not reap). */
export function proc(pid: number): { ppid: number; pgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return /^[ZX]/.test(rest[0]!) ? undefined : { ppid: Number(rest[1]), pgid: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

/** A rollback of canary-10 by alice in `dir` (its planDir); the environment has PATH and the fixtures' MARKER_DIR and PID_DIR. */
export function actionContext(dir: string, over: Partial<ActionContext> = {}): ActionContext {
  return {
    kind: 'rollback',
    planDir: dir,
    stageId: 'canary-10',
    operator: 'alice',
    dryRun: false,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MARKER_DIR: dir, PID_DIR: dir },
    ...over,
  };
}
