/**
 * `flightdeck guard PLAN` (detached, or --foreground for systemd),
 * `flightdeck guard stop PLAN`, `flightdeck status`, and promote/rollback
 * from the CLI through a running guard (one writer).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatDuration } from '../duration.js';
import { GuardClient, type GuardStatus } from '../guard/client.js';
import { guardPaths } from '../guard/paths.js';
import { findGuard, listGuards, recordAlive, type GuardRecord } from '../guard/record.js';
import { GUARD_EXIT, runGuardForeground, type GuardFlags } from '../guard/run-guard.js';
import type { LoadedPlan } from '../plan/load.js';
import { ACT_EXIT, type ActFlags } from './act.js';

export interface GuardCliFlags extends GuardFlags {
  foreground?: boolean;
}

/** How long a detached guard may take to answer on its socket. */
const START_WAIT_MS = 60_000;

export async function runGuardCommand(loaded: LoadedPlan, f: GuardCliFlags, out: (line: string) => void): Promise<number> {
  if (f.foreground) return runGuardForeground(loaded, f, (l) => out(`${new Date().toISOString()} ${l}`));
  const running = await findGuard(loaded.file, f.stateDir);
  if (running) {
    out(`a guard already runs for ${loaded.file}: pid ${running.pid}, socket ${running.socket}`);
    return GUARD_EXIT.alreadyRunning;
  }
  const started = await startGuardDetached(loaded.file, f);
  if (typeof started === 'string') {
    out(started);
    return GUARD_EXIT.failed;
  }
  if (started.startedElsewhere) {
    out(`a guard already runs for ${loaded.file}: pid ${started.pid}, socket ${started.socket} (another command started it a moment ago)`);
    return GUARD_EXIT.alreadyRunning;
  }
  out(`guard for ${loaded.file} started: pid ${started.pid}, log ${started.log}, socket ${started.socket}`);
  return GUARD_EXIT.ok;
}

/**
 * Node's flags for the detached guard, the process that runs for the whole window. V8 sizes its
 * young generation by the machine's memory (128 MB on a 24 GiB bastion) and grows it under a
 * poll's burst of allocation; the pages it then gives back stay resident. The memory soak
 * (bench/memory-soak.ts: 1,000 nodes, 21 gates, 60-minute windows) held RSS at 322-341 MB with
 * 27 MB of live heap; with 16 MB semi-spaces (32 MB of young generation), 242-248 MB, at the
 * same CPU per window. A guard run by hand (`guard --foreground`, e.g. under systemd) gets them
 * by running node with them (README).
 */
export const GUARD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

/**
 * Starts a guard in its own session, stdio to its log; resolves once it answers on its socket. When
 * another command's guard took the plan first (two started at once), that guard's record, marked
 * startedElsewhere, and the one started here is stopped (it would wait for the lock, then give up).
 */
export async function startGuardDetached(planFile: string, f: GuardFlags = {}): Promise<(GuardRecord & { startedElsewhere?: true }) | string> {
  const paths = guardPaths(planFile, f.stateDir);
  await mkdir(paths.stateDir, { recursive: true, mode: 0o775 });
  const logFd = openSync(paths.log, 'a', 0o640);
  const args = [...GUARD_NODE_FLAGS, process.argv[1]!, 'guard', resolve(planFile), '--foreground'];
  if (f.dryRun) args.push('--dry-run');
  if (f.autoRollback === false) args.push('--no-auto-rollback');
  if (f.record) args.push('--record', f.record);
  if (f.metricsPort) args.push('--metrics-port', f.metricsPort);
  if (f.groupShare) args.push('--group-shareable');
  if (f.stage) args.push('--stage', f.stage);
  if (f.stateDir) args.push('--state-dir', resolve(f.stateDir));
  if (f.storeUrlEnv) args.push('--store-url-env', f.storeUrlEnv);
  if (f.prometheusUrl) args.push('--prometheus-url', f.prometheusUrl);
  if (f.nodesFile) args.push('--nodes-file', resolve(f.nodesFile));
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd], env: process.env });
  closeSync(logFd);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + START_WAIT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) return `the guard exited (${exited}) before it served; its log ${paths.log} says:\n${await tail(paths.log)}`;
    const rec = await findGuard(planFile, f.stateDir);
    if (rec && rec.pid === child.pid) {
      const c = new GuardClient(rec.socket);
      try {
        await c.status();
        return rec;
      } catch {
        // not serving yet
      } finally {
        await c.close();
      }
    } else if (rec) {
      try {
        process.kill(child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      return { ...rec, startedElsewhere: true };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return `the guard did not answer within ${START_WAIT_MS / 1000} s; see ${paths.log}`;
}

export async function stopGuard(planFile: string, out: (line: string) => void): Promise<number> {
  const rec = await findGuard(planFile);
  if (!rec) {
    out(`no guard runs for ${planFile}`);
    return 1;
  }
  const c = new GuardClient(rec.socket);
  try {
    const st = await c.status().catch(() => null);
    if (st?.action) out(`an action is running (${st.action.kind} by ${st.action.operator}): the guard stops once it has ended`);
    const a = await c.command('stop');
    if (!a.ok) {
      out(`guard stop refused: ${a.refused ?? a.error ?? 'no answer'}`);
      return ACT_EXIT.refused;
    }
  } finally {
    await c.close();
  }
  for (let i = 0; i < 1_200 && recordAlive(rec); i++) await new Promise((r) => setTimeout(r, 100));
  if (recordAlive(rec)) {
    out(`the guard (pid ${rec.pid}) is still running: see ${rec.log}`);
    return 1;
  }
  out(`guard for ${planFile} stopped`);
  return 0;
}

export async function showStatus(out: (line: string) => void): Promise<number> {
  const guards = await listGuards();
  if (guards.length === 0) {
    out('no guard running');
    return 0;
  }
  for (const g of guards) {
    const c = new GuardClient(g.socket);
    let st: GuardStatus | null = null;
    let why = '';
    try {
      st = await c.status();
    } catch (err) {
      why = (err as NodeJS.ErrnoException).code === 'EACCES' ? 'its socket is not open to you' : (err as Error).message;
    } finally {
      await c.close();
    }
    if (!st) {
      out(`${g.planFile}  pid ${g.pid}  up ${formatDuration(Date.now() - g.startedAt)}  (${why})`);
      continue;
    }
    const gates = Object.entries(st.gates).map(([k, n]) => `${n} ${k}`).join(', ') || 'no gates';
    const action = st.action ? `${st.action.kind} by ${st.action.operator} for ${formatDuration(st.action.runningMs)}` : 'none';
    const stopping = st.stopping ? `  STOPPING (${st.stopping}; once the action has ended)` : '';
    out(`${st.plan}  ${st.service}  stage ${st.stage}${st.rolledBack ? ' (rolled back)' : ''}  gates: ${gates}  action: ${action}  cockpits: ${st.cockpits}  up ${formatDuration(st.uptimeMs)}  pid ${st.pid}${stopping}`);
    const l = st.leadership;
    if (l) {
      const leader = l.leader ? `${l.leader.host} pid ${l.leader.pid} (${l.leader.stateDir}), lease renewed ${formatDuration(l.leader.renewedAgoMs)} ago, held ${formatDuration(l.leader.acquiredAgoMs)}, token ${l.leader.token}` : 'none (the lease is free or the store is unreachable)';
      const standbys = l.standbys.map((g) => `${g.host} pid ${g.pid} (${g.stateDir})`).join('; ') || 'none';
      out(`  this guard: ${l.role}${l.notActing ? ` — ${l.notActing}` : ''}`);
      out(`  leader: ${leader}  ·  standbys: ${standbys}  ·  lease ${formatDuration(l.leaseMs)}`);
    }
  }
  return 0;
}

/** promote/rollback through the plan's running guard; null when none runs (act in process). */
export async function actViaGuard(kind: 'promote' | 'rollback', loaded: LoadedPlan, f: ActFlags, out: (line: string) => void): Promise<number | null> {
  if (f.dryRun) return null;
  const rec = await findGuard(loaded.file);
  if (!rec) return null;
  if (!f.yes) {
    out(`flightdeck ${kind}: refusing to act without --yes (or --dry-run to see what would run)`);
    return ACT_EXIT.refused;
  }
  if (f.stage) {
    out(`flightdeck ${kind}: a guard runs for this plan (pid ${rec.pid}): it acts on its current stage; --stage is not accepted`);
    return ACT_EXIT.refused;
  }
  if (f.override && !f.reason) {
    out(`flightdeck ${kind}: --override needs --reason "why" (a guarded override is audited and notified)`);
    return ACT_EXIT.refused;
  }
  out(`flightdeck ${kind}: through the guard (pid ${rec.pid})`);
  const c = new GuardClient(rec.socket);
  try {
    const args: Record<string, unknown> = {};
    if (f.reason) args.reason = f.reason;
    if (kind === 'promote' && f.override) args.override = { reason: f.reason!, acknowledged: true };
    if (kind === 'rollback' && f.include) args.includeOptional = f.include.includes('all') ? 'all' : f.include;
    const a = await c.command(kind, args);
    if (!a.ok && (a.refused || a.error)) {
      out(`flightdeck ${kind}: refused: ${a.refused ?? a.error}`);
      return ACT_EXIT.refused;
    }
    for (const s of a.steps ?? []) out(`  ${s.status.padEnd(20)} ${s.name}${s.exitCode !== null && s.exitCode !== undefined ? ` (exit ${s.exitCode})` : ''}${s.note ? ` — ${s.note}` : ''}`);
    out(`${kind}: ${a.summary ?? ''}`);
    return a.ok ? ACT_EXIT.ok : ACT_EXIT.failed;
  } catch (err) {
    out(`flightdeck ${kind}: the guard did not answer: ${(err as Error).message}`);
    return ACT_EXIT.cannotEvaluate;
  } finally {
    await c.close();
  }
}

async function tail(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim().split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}
