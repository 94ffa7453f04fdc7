/**
 * `flightdeck state show PLAN` prints where the rollout stands (or why the
 * saved state is unusable, and how to repair it); `flightdeck state set PLAN
 * --stage ID --reason R` repairs it: it takes the action lock (no action runs
 * meanwhile), writes a fresh state for that stage (a new window; baselines
 * are read again from Prometheus history at the entry time) and audits the
 * change with the state it replaced.
 *   exit 0  shown / set
 *   exit 1  the audit could not be written (before the change: nothing set; after: set)
 *   exit 2  the saved state is unusable (show), or a bad argument (set)
 *   exit 3  refused: an action holds the lock
 */
import { currentOperator, formatOperator, sshClientAddress } from '../audit/log.js';
import { describeHolder } from '../actions/lock.js';
import { formatDuration } from '../duration.js';
import type { LoadedPlan } from '../plan/load.js';
import { fileStore } from '../store/files.js';
import { planStamp, STATE_VERSION, type RolloutState, type StateRead } from '../store/rollout-state.js';
import type { Store } from '../store/store.js';

export const STATE_EXIT = { ok: 0, auditFailed: 1, unusable: 2, refused: 3 } as const;

export interface StateSetFlags {
  stage: string;
  reason: string;
  /** The stage was rolled back. */
  rolledBack?: boolean;
  /** When the stage was entered (ISO 8601 or epoch ms); default now. */
  enteredAt?: string;
}

interface Ctx {
  store?: Store;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

export async function runStateShow(loaded: LoadedPlan, f: { json?: boolean }, out: (l: string) => void, ctx: Ctx = {}): Promise<number> {
  const store = ctx.store ?? fileStore(loaded);
  const read = await store.state.read();
  const now = (ctx.now ?? Date.now)();
  if (f.json) {
    out(JSON.stringify(read.status === 'broken' ? { status: 'broken', location: read.location, kind: read.problem.kind, problem: read.problem.problem, fix: read.problem.fix } : read));
    return read.status === 'broken' ? STATE_EXIT.unusable : STATE_EXIT.ok;
  }
  for (const l of describeState(loaded, read, now)) out(l);
  return read.status === 'broken' ? STATE_EXIT.unusable : STATE_EXIT.ok;
}

/** The lines `state show` prints. */
export function describeState(loaded: LoadedPlan, read: StateRead, now: number): string[] {
  const plan = loaded.plan;
  if (read.status === 'none') {
    return [`${read.location}: no saved state`, `  a cockpit or command opened on ${loaded.file} starts at the first stage (${plan.stages[0]!.id}) and saves it`];
  }
  if (read.status === 'broken') {
    const p = read.problem;
    return [`${p.location}: UNUSABLE (${p.kind})`, `  problem: ${p.problem}`, '  promote, rollback and auto-rollback are refused until it is repaired', `  fix: ${p.fix}`];
  }
  const s = read.state;
  const idx = plan.stages.findIndex((st) => st.id === s.stageId);
  const at = (t: number) => `${new Date(t).toISOString()} (${t <= now ? `${formatDuration(now - t)} ago` : `in ${formatDuration(t - now)}`})`;
  const w = s.window;
  const windowLine = w.completed
    ? `window completed: ${w.completed.verdict} at ${new Date(w.completed.at).toISOString()}`
    : now >= w.end
      ? `window ${formatDuration(w.end - w.start)} over since ${at(w.end)}; its verdict is given at the next poll`
      : `window minute ${Math.floor((now - w.start) / 60_000)} of ${Math.round((w.end - w.start) / 60_000)}, ends ${at(w.end)}`;
  const lines = [
    `${read.location}${read.legacy ? ' (older format: upgraded on the next save)' : ''}`,
    `  ${plan.service} (${plan.environment}): stage ${idx + 1}/${plan.stages.length} ${s.stageId}${s.rolledBack ? ' ROLLED BACK' : ''}`,
    `  entered ${at(s.stageEnteredAt)}`,
    `  ${windowLine}`,
  ];
  const baselines = Object.entries(s.baselines);
  if (baselines.length) for (const [k, b] of baselines) lines.push(`  baseline ${k.replace(/^\*\//, '')}: ${b.value} (${b.source}, ${new Date(b.at).toISOString()})`);
  else lines.push('  baselines: none saved');
  const stamp = planStamp(plan);
  if (!read.legacy && s.plan.digest !== stamp.digest) lines.push('  plan changed since the window opened (the cockpit lists the gates)');
  lines.push(`  saved by ${s.by} at ${new Date(s.updatedAt).toISOString()}${s.reason ? `: ${s.reason}` : ''}`);
  return lines;
}

export async function runStateSet(loaded: LoadedPlan, f: StateSetFlags, out: (l: string) => void, ctx: Ctx = {}): Promise<number> {
  const plan = loaded.plan;
  const store = ctx.store ?? fileStore(loaded);
  const now = (ctx.now ?? Date.now)();
  if (!plan.stages.some((s) => s.id === f.stage)) {
    out(`flightdeck state set: no stage "${f.stage}" in ${loaded.file} (stages: ${plan.stages.map((s) => s.id).join(', ')})`);
    return STATE_EXIT.unusable;
  }
  const reason = f.reason.trim();
  const min = plan.override.minReasonLength;
  if (reason.length < min) {
    out(`flightdeck state set: --reason needs at least ${min} characters (it is audited)`);
    return STATE_EXIT.unusable;
  }
  const enteredAt = f.enteredAt === undefined ? now : parseTime(f.enteredAt);
  if (enteredAt === undefined || enteredAt > now) {
    out(`flightdeck state set: --entered-at expects a time not in the future (ISO 8601 such as 2026-01-31T14:02:00Z, or epoch ms), got "${f.enteredAt}"`);
    return STATE_EXIT.unusable;
  }
  const operator = currentOperator(ctx.env ?? process.env);
  if (plan.operators?.length) {
    // Who may repair the rollout is who may act on it: the OS account of this process, not a claimed name.
    const { localClient, mayAct } = await import('../guard/identity.js');
    const me = await localClient(sshClientAddress(ctx.env ?? process.env));
    if (!mayAct(me, plan.operators)) {
      const why = `${me.user} is not one of the plan's operators (${plan.operators.join(', ')})`;
      out(`flightdeck state set: refused: ${why}`);
      try {
        await store.audit.append({ plan: loaded.file, service: plan.service, stage: f.stage, action: 'state-set', result: 'refused', reason, operator: me.operator, details: { refusal: why } });
      } catch (err) {
        out(`flightdeck state set: the refusal could not be audited: ${(err as Error).message}`);
      }
      return STATE_EXIT.refused;
    }
    operator.user = me.user;
  }
  const lock = await store.lock.acquire({ action: `state set ${f.stage}`, operator: operator.user });
  if (!lock.ok) {
    out(`flightdeck state set: refused: ${describeHolder(lock.holder, Date.now())}: wait for it to finish`);
    return STATE_EXIT.refused;
  }
  try {
    const before = await store.state.read();
    const state: RolloutState = {
      version: STATE_VERSION,
      plan: planStamp(plan),
      stageId: f.stage,
      stageEnteredAt: enteredAt,
      rolledBack: f.rolledBack ?? false,
      window: { start: enteredAt, end: enteredAt + plan.polling.window },
      baselines: {},
      planSeen: { digest: planStamp(plan).digest, by: formatOperator(operator), at: now },
      updatedAt: now,
      by: formatOperator(operator),
      reason,
    };
    const replaced =
      before.status === 'broken'
        ? { status: 'broken', kind: before.problem.kind, problem: before.problem.problem }
        : before.status === 'ok'
          ? { status: 'ok', stageId: before.state.stageId, stageEnteredAt: before.state.stageEnteredAt, rolledBack: before.state.rolledBack, by: before.state.by }
          : { status: 'none' };
    const entry = { plan: loaded.file, service: plan.service, stage: f.stage, action: 'state-set', reason, operator, details: { state: store.state.location, replaced, enteredAt: new Date(enteredAt).toISOString(), rolledBack: state.rolledBack } };
    // Write-ahead, as every action: the change is audited before it is made, so a process killed
    // between the two leaves a `started` line, never a state nobody audited.
    try {
      await store.audit.append({ ...entry, result: 'started' }, { env: ctx.env });
    } catch (err) {
      out(`flightdeck state set: not set: its audit could not be written: ${(err as Error).message}`);
      return STATE_EXIT.auditFailed;
    }
    await store.state.write(state);
    out(`${store.state.location}: stage ${f.stage}${state.rolledBack ? ' (rolled back)' : ''} entered ${new Date(enteredAt).toISOString()}, set by ${state.by}`);
    try {
      await store.audit.append({ ...entry, result: 'ok' }, { env: ctx.env });
    } catch (err) {
      out(`flightdeck state set: the state was set but the audit of its end could not be written: ${(err as Error).message}`);
      return STATE_EXIT.auditFailed;
    }
    return STATE_EXIT.ok;
  } finally {
    await lock.release();
  }
}

function parseTime(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}
