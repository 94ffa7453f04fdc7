/**
 * The guard: everything `watch` does except drawing — polls, judges,
 * auto-rolls back, notifies, audits, records (--record), serves
 * --metrics-port — in a process with no terminal, and a control endpoint
 * for cockpits and the CLI. Exactly one per plan per machine (see
 * instance-lock.ts).
 *
 * It stops on SIGTERM / SIGINT or an operator's `guard stop`; an action in
 * flight is let finish first (its end is audited). SIGHUP is ignored: the
 * guard has no terminal to lose.
 */
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { openWatching } from '../cli/open-session.js';
import type { AuditOperator } from '../audit/log.js';
import type { EngineEvent } from '../engine/types.js';
import type { LoadedPlan } from '../plan/load.js';
import { guardPaths, registryDir } from './paths.js';
import { findGuard, processStart, removeGuardRecord, writeGuardRecord } from './record.js';
import { lockGuard } from './instance-lock.js';
import { startControlServer } from './server.js';
import { Leadership } from './leadership.js';
import { Bastions } from './bastions.js';
import { chooseStore, type ChosenStore } from '../store/choose.js';

export interface GuardFlags {
  dryRun?: boolean;
  autoRollback?: boolean;
  record?: string;
  metricsPort?: string;
  groupShare?: boolean;
  stage?: string;
  /** Passed on to a detached guard (it loads the plan itself). */
  prometheusUrl?: string;
  nodesFile?: string;
  /** This guard's state directory (its record, socket, log): one per bastion (default `.flightdeck` beside the plan). */
  stateDir?: string;
  /** The environment variable holding the PostgreSQL URL (overrides the plan's store.postgres.urlEnv). */
  storeUrlEnv?: string;
}

export const GUARD_EXIT = { ok: 0, failed: 2, alreadyRunning: 3 } as const;

export async function runGuardForeground(loaded: LoadedPlan, f: GuardFlags, log: (line: string) => void): Promise<number> {
  const paths = guardPaths(loaded.file, f.stateDir);
  await mkdir(paths.stateDir, { recursive: true, mode: 0o775 });
  const release = await lockGuard(paths.info, { onCompromised: (err) => log(`guard lock compromised: ${err.message}`) });
  if (!release) {
    const other = await findGuard(loaded.file);
    log(`a guard already runs for ${loaded.file}${other ? ` (pid ${other.pid}, socket ${other.socket})` : ''}`);
    return GUARD_EXIT.alreadyRunning;
  }
  const startedAt = Date.now();
  let chosen: ChosenStore;
  try {
    chosen = await chooseStore(loaded, process.env, f.storeUrlEnv ? { urlEnv: f.storeUrlEnv } : {});
  } catch (err) {
    log(`cannot start: ${(err as Error).message}`);
    await release().catch(() => undefined);
    return GUARD_EXIT.failed;
  }
  // Several bastions: only the guard holding the lease acts; the others poll, show and stand by.
  let session: Awaited<ReturnType<typeof openWatching>>['session'] | null = null;
  let bastions: Bastions | null = null;
  const leadership = chosen.postgres
    ? new Leadership({
        store: chosen.postgres,
        leaseMs: chosen.leaseMs,
        stateDir: paths.stateDir,
        log,
        onLead: () => {
          session?.tookLead();
          bastions?.onLead();
        },
        onLose: (why) => session?.note({ text: `no longer leading: ${why}`, topic: 'info', level: 'warn' }),
      })
    : null;
  // The leader and its standbys talk through the store: live events and state, and commands routed to the leader.
  if (chosen.postgres && leadership) bastions = new Bastions({ store: chosen.postgres, leadership, leaseMs: chosen.leaseMs, session: () => session, log });
  const opened = await openWatching(loaded, {
    ...(chosen.postgres ? { store: chosen.store } : {}),
    ...(leadership ? { mayAct: () => leadership.notActing(), mayNotify: () => leadership.notifies() } : {}),
    readonly: false,
    dryRun: f.dryRun ?? false,
    autoRollback: f.autoRollback ?? true,
    stageId: f.stage,
    metricsPort: f.metricsPort,
    record: f.record,
  });
  session = opened.session;
  const { runtime } = opened;
  for (const w of opened.warnings) log(`warning: ${w}`);
  if (opened.metricsUrl) log(`self-metrics on ${opened.metricsUrl}`);
  runtime.engine.on((e) => {
    const line = describe(e);
    if (line) log(line);
    bastions?.publish(e);
  });

  let stopAsked: (stop: { why: string; by?: AuditOperator }) => void = () => undefined;
  const stopped = new Promise<{ why: string; by?: AuditOperator }>((resolve) => {
    stopAsked = resolve;
  });
  const onSignal = (sig: NodeJS.Signals) => stopAsked({ why: sig });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const onHup = () => log('SIGHUP ignored: the guard has no terminal');
  process.on('SIGHUP', onHup);

  const server = await startControlServer({
    socket: paths.socket,
    session,
    proofDir: join(registryDir(), 'proofs'),
    operators: loaded.plan.operators,
    groupShare: f.groupShare ?? false,
    startedAt,
    planFile: loaded.file,
    onStop: (by, from) => stopAsked({ why: `asked by ${by.user} from ${from}`, by }),
    log,
    ...(leadership ? { leadership: () => leadership.view() } : {}),
    ...(bastions ? { route: (cmd, body, op) => bastions!.route(cmd, body, op) } : {}),
  });
  const record = {
    pid: process.pid,
    planFile: loaded.file,
    service: loaded.plan.service,
    socket: paths.socket,
    log: paths.log,
    startedAt,
    user: safeUser(),
    stateDir: paths.stateDir,
    ...(processStart(process.pid) !== undefined ? { pidStart: processStart(process.pid)! } : {}),
  };
  await writeGuardRecord(record, paths.info, paths.registryEntry);
  session.start();
  await bastions?.start();
  await leadership?.start();
  log(`guard for ${loaded.file} running (pid ${process.pid}), socket ${paths.socket}`);

  const stop = await stopped;
  log(`stopping (${stop.why})`);
  // From here nothing new starts (no command, no auto-rollback); what runs is let finish, then audited.
  session.refuseNewActions(`the guard is stopping (${stop.why}): nothing new starts`);
  server.markStopping(stop.why);
  const running = session.actionRunning;
  if (running) {
    log(`an action is running (${running.kind} by ${running.operator}): letting it finish first`);
    await session.idle();
  }
  // The last line the guard writes to the audit: from here on nothing watches the plan.
  await session.auditNote({
    action: 'guard-stop',
    result: 'ok',
    reason: `${stop.why}; no polling and no auto-rollback after this`,
    details: { pid: process.pid, uptimeMs: Date.now() - startedAt, ...(running ? { waitedFor: `${running.kind} by ${running.operator}` } : {}) },
    ...(stop.by ? { operator: stop.by } : {}),
  });
  await bastions?.stop();
  await leadership?.stop();
  await removeGuardRecord(paths.info, paths.registryEntry, process.pid);
  await server.close();
  await opened.close();
  await chosen.close();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  process.off('SIGHUP', onHup);
  await release().catch(() => undefined);
  log('guard stopped');
  return GUARD_EXIT.ok;
}

/** One line of the guard's log for the events worth reading there (not every poll). */
function describe(e: EngineEvent): string | null {
  switch (e.type) {
    case 'action.started':
      return `${e.auto ? 'auto-' : ''}${e.action} of ${e.stageId} started by ${e.operator}${e.reason ? `: ${e.reason}` : ''}`;
    case 'action.output':
      return `[${e.step}] ${e.text}`;
    case 'action.finished':
      return `${e.action} of ${e.stageId}: ${e.summary}`;
    case 'action.refused':
      return `${e.action} refused: ${e.why}`;
    // The session's own lines (adoption, audit write failures, cockpits attaching) go to the log too.
    case 'session.note':
      return `${e.level}: ${e.text}`;
    case 'rollback.requested':
      return `rollback requested${e.auto ? ' (auto)' : ''}: ${e.reason}`;
    case 'stage.entered':
    case 'stage.rolled-back':
    case 'alert.firing':
      return `${e.type} ${JSON.stringify(e)}`;
    default:
      return null;
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
