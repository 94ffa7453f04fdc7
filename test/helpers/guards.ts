/**
 * What the guard tests share: waiting for a condition (bounded polling, never a fixed sleep as an
 * assertion), and asking a plan's guard (found by its record in a state directory) for its status
 * or to run a command.
 */
import { rm } from 'node:fs/promises';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { GuardClient, type CommandAnswer, type GuardStatus } from '../../src/guard/client.js';
import { findGuard } from '../../src/guard/record.js';
import { startLiveFleet, type LiveFleet } from './live-fleet.js';
import { startPostgres, type RunningPostgres } from './postgres.js';
import { killAllIn } from './process-table.js';

/** Polls `test` every 100 ms until it gives something truthy; throws naming `what` after `ms`. */
export async function until<T>(test: () => T | Promise<T>, what: string, ms = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await test();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A client of the plan's running guard (its state directory: default beside the plan), or null when none runs. */
export async function guardClient(planFile: string, stateDir?: string): Promise<GuardClient | null> {
  const rec = await findGuard(planFile, stateDir);
  return rec ? new GuardClient(rec.socket) : null;
}

/** The guard's status, or null when none runs or it does not answer. */
export async function guardStatus(planFile: string, stateDir?: string): Promise<GuardStatus | null> {
  const c = await guardClient(planFile, stateDir);
  if (!c) return null;
  try {
    return await c.status();
  } catch {
    return null;
  } finally {
    await c.close();
  }
}

/** Sends a command to the running guard as this process's account (throws when none runs). */
export async function guardCommand(planFile: string, stateDir: string | undefined, cmd: string, args: Record<string, unknown> = {}): Promise<CommandAnswer> {
  const c = await guardClient(planFile, stateDir);
  if (!c) throw new Error(`no guard runs for ${planFile}${stateDir ? ` (state ${stateDir})` : ''}`);
  try {
    return await c.command(cmd, args);
  } finally {
    await c.close();
  }
}

type Bastion = 'a' | 'b';

/**
 * Two guards for one plan as on two bastions: starts guard a and waits until it leads, then guard b
 * and waits until it stands by under a known leader. `start` runs `flightdeck guard` as that bastion
 * (its state directory, registry and environment); `statusOf` asks that bastion's guard.
 */
export async function leaderAndStandby(
  start: (b: Bastion) => Promise<{ code: number | undefined; stdout: string; stderr: string }>,
  statusOf: (b: Bastion) => Promise<GuardStatus | null>,
): Promise<{ leaderPid: number; standbyPid: number }> {
  const a = await start('a');
  if (a.code !== 0) throw new Error(`guard a did not start (${a.code}): ${a.stdout}${a.stderr}`);
  await until(async () => (await statusOf('a'))?.leadership?.role === 'leader', 'guard a to lead');
  const b = await start('b');
  if (b.code !== 0) throw new Error(`guard b did not start (${b.code}): ${b.stdout}${b.stderr}`);
  const standby = await until(async () => {
    const s = await statusOf('b');
    return s?.leadership?.role === 'standby' && s.leadership.leader !== null ? s : null;
  }, 'guard b to stand by');
  return { leaderPid: (await statusOf('a'))!.pid, standbyPid: standby.pid };
}

/**
 * The hooks of a test file whose guards share a real PostgreSQL and a live fleet: both started once for
 * the file (handed over through `started`) and stopped after it; after each test, every process left in
 * the test's directory (`dirOf()`) is killed and the directory removed.
 */
/** A real PostgreSQL and a live fleet (with its Prometheus) for one test file: started before its tests, stopped after; each test's directory emptied of processes and removed. */
export function postgresAndFleetPerFile(fleet: { nodes: number; seed: number }, dirOf: () => string | undefined): { readonly pg: RunningPostgres; readonly live: LiveFleet } {
  let pg: RunningPostgres | undefined;
  let live: LiveFleet | undefined;
  beforeAll(async () => {
    [pg, live] = await Promise.all([startPostgres(), startLiveFleet(fleet)]);
  }, 60_000);
  afterAll(async () => {
    await live?.stop();
    await pg?.stop();
  });
  afterEach(async () => {
    const dir = dirOf();
    if (dir) {
      killAllIn(dir);
      await rm(dir, { recursive: true, force: true });
    }
  });
  const started = <T>(x: T | undefined, what: string): T => {
    if (x === undefined) throw new Error(`${what} is not started (used outside a test)`);
    return x;
  };
  return {
    get pg() {
      return started(pg, 'PostgreSQL');
    },
    get live() {
      return started(live, 'the live fleet');
    },
  };
}

/** One line of the audit as the PostgreSQL store keeps it. */
export interface AuditRow {
  seq: number;
  action: string;
  result: string;
  reason?: string;
  operator?: { user: string; host: string };
  details?: { actionId?: string; refusal?: string } & Record<string, unknown>;
}

/** A plan's audit rows in the database, oldest first (its plan key: SERVICE/production). */
export async function auditRows(url: string, service: string): Promise<AuditRow[]> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql<{ line: string }[]>`select line from flightdeck_audit where plan_key = ${`${service}/production`} order by id`;
    return rows.map((r) => JSON.parse(r.line) as AuditRow);
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** The leadership lease the bastion tests give their guards. */
export const LEASE_MS = 3_000;

/** What every plan of the bastion tests starts with: the live fleet and its Prometheus, fast polling, the PostgreSQL store (its URL in FD_PG_URL). */
export function bastionPlanHead(live: LiveFleet): Record<string, unknown> {
  return {
    prometheus: { url: live.prom.url, timeout: '2s' },
    nodes: live.fleet.planNodes(),
    polling: { window: '60m', phases: [{ every: '1s' }], hot: '1s', jitter: 0 },
    store: { postgres: { urlEnv: 'FD_PG_URL', lease: `${LEASE_MS / 1000}s` } },
    logs: { dir: 'logs' },
  };
}
