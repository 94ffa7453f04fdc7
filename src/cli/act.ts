/**
 * `flightdeck promote PLAN` and `flightdeck rollback PLAN`, for scripts and
 * CI: the gates are evaluated once, then the action runs through the same
 * session, lock and audit as in the cockpit.
 *   exit 0    the action ran and succeeded (or its dry run did)
 *   exit 1    the action ran and failed, or ran to its end with failed continueOnFailure steps (partial)
 *   exit 2    could not evaluate (bad plan, unknown --include step, Prometheus unreachable for a promote),
 *             or the saved rollout state is unusable (unreadable, unknown stage, another plan's): nothing runs
 *   exit 3    refused (not promotable without --override, lock held, no --yes)
 *   exit 128+N  interrupted by signal N (SIGHUP 129, SIGINT 130, SIGTERM 143): the running step's process
 *             group was stopped (SIGTERM, then SIGKILL after the grace), the action audited as aborted
 *             with the signal, the lock released
 *
 * It notifies about its own action only (the watching cockpit announces gate
 * states), and waits for those notifications to be delivered up to
 * `--notify-wait` (default 30 s, Retry-After honoured) before it exits; what
 * is not delivered by then goes to the fallback file.
 */
import { constants } from 'node:os';
import { resolveInclude } from '../actions/steps.js';
import { formatDuration, parseDuration } from '../duration.js';
import type { Notifier } from '../notify/index.js';
import type { LoadedPlan } from '../plan/load.js';
import { judge } from './check.js';
import { openSession } from './open-session.js';

export interface ActFlags {
  yes?: boolean;
  reason?: string;
  override?: boolean;
  dryRun?: boolean;
  stage?: string;
  include?: string[];
  json?: boolean;
  /** How long to wait for notification delivery before exiting ("30s", "2m", "0" to not wait). */
  notifyWait?: string;
}

export const ACT_EXIT = { ok: 0, failed: 1, cannotEvaluate: 2, refused: 3 } as const;
export const DEFAULT_NOTIFY_WAIT_MS = 30_000;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

export async function runAct(kind: 'promote' | 'rollback', loaded: LoadedPlan, f: ActFlags, out: (line: string) => void): Promise<number> {
  if (!f.yes && !f.dryRun) {
    out(`flightdeck ${kind}: refusing to act without --yes (or --dry-run to see what would run)`);
    return ACT_EXIT.refused;
  }
  if (f.override && !f.reason) {
    out(`flightdeck ${kind}: --override needs --reason "why" (a guarded override is audited and notified)`);
    return ACT_EXIT.refused;
  }
  const notifyWaitMs = f.notifyWait === undefined ? DEFAULT_NOTIFY_WAIT_MS : f.notifyWait === '0' ? 0 : parseDuration(f.notifyWait);
  if (notifyWaitMs === undefined || notifyWaitMs < 0) {
    out(`flightdeck ${kind}: --notify-wait ${f.notifyWait}: expected a duration such as 30s or 2m`);
    return ACT_EXIT.cannotEvaluate;
  }

  // From here on a signal stops what runs instead of killing this process under it.
  const stop = new AbortController();
  const flushStop = new AbortController();
  let received: StopSignal | undefined;
  /** Once the action is over, a signal only cuts the wait for notification delivery short. */
  let phase: 'acting' | 'notifying' = 'acting';
  const onSignal = (sig: StopSignal): void => {
    if (received || phase === 'notifying') {
      out(
        phase === 'acting'
          ? `flightdeck ${kind}: ${sig} again: already stopping (the step's process group gets SIGKILL once the grace is over); notifications will not be waited for`
          : `flightdeck ${kind}: ${sig}: not waiting any longer for notifications (what is pending goes to the fallback file)`,
      );
      received ??= sig;
      flushStop.abort(sig);
      return;
    }
    received = sig;
    out(`flightdeck ${kind}: ${sig} received: stopping (the running step's process group gets SIGTERM, then SIGKILL after the grace)`);
    stop.abort(sig);
  };
  const handlers = STOP_SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  const interruptedCode = (): number => 128 + (constants.signals[received ?? 'SIGTERM'] ?? 15);

  try {
    const opened = await openSession(loaded, { readonly: false, dryRun: f.dryRun ?? false, autoRollback: false, stageId: f.stage, warn: (t) => out(`warning: ${t}`) });
    const { session, runtime } = opened;
    try {
      session.notifyOnly('actions');
      runtime.engine.on((e) => {
        if (e.type === 'action.output') out(`[${e.step}] ${e.text}`);
        if (f.json) out(JSON.stringify(e));
      });
      session.begin();
      if (session.stateProblem) {
        // Refused (and the refusal audited) before anything is evaluated or run.
        const refused = kind === 'promote' ? await session.promote({ reason: f.reason }) : await session.rollback({ reason: f.reason });
        out(`flightdeck ${kind}: refused: ${(!refused.ok && refused.refused) || 'the rollout state is unusable'}`);
        return ACT_EXIT.cannotEvaluate;
      }
      const stageIndex = runtime.engine.getState().stageIndex;
      const stageSpec = loaded.plan.stages[stageIndex]!;
      let include: string[] | 'all' | undefined;
      if (kind === 'rollback' && f.include && stageSpec.rollback) {
        const r = resolveInclude(stageSpec.rollback, 'rollback', f.include);
        if (!r.ok) {
          out(`flightdeck rollback: --include ${r.unknown.map((n) => JSON.stringify(n)).join(', ')}: no such step in the rollback of ${stageSpec.id}`);
          out(`  its steps: ${r.names.map((n) => JSON.stringify(n)).join(', ')} (or "all" for every optional one)`);
          return ACT_EXIT.cannotEvaluate;
        }
        for (const n of r.notOptional) out(`note: step "${n}" is not optional: it runs anyway`);
        include = r.include;
      }

      const interrupted = new Promise<'interrupted'>((resolve) => {
        if (stop.signal.aborted) resolve('interrupted');
        else stop.signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
      });
      const evaluate = async (): Promise<'done'> => {
        await runtime.engine.backfill();
        await runtime.engine.poll('start');
        return 'done';
      };
      const evaluated = await Promise.race([evaluate(), interrupted]);
      if (evaluated === 'interrupted') {
        out(`flightdeck ${kind}: interrupted by ${received} before the ${kind} started: nothing ran`);
        return interruptedCode();
      }
      const st = runtime.engine.getState();
      const stage = st.stages[st.stageIndex]!;
      if (kind === 'promote') {
        const verdict = judge(st);
        if (verdict.exitCode === 2 && !f.override) {
          out(`flightdeck promote: could not evaluate the gates of ${stage.id}: ${verdict.reasons.join('; ')}`);
          return ACT_EXIT.cannotEvaluate;
        }
      }
      const outcome =
        kind === 'promote'
          ? await session.promote({ reason: f.reason, override: f.override ? { reason: f.reason!, acknowledged: true } : undefined, signal: stop.signal })
          : await session.rollback({ reason: f.reason ?? `manual rollback of ${stage.id}`, includeOptional: include, signal: stop.signal });

      let code: number;
      if (!outcome.ok && outcome.interrupted) {
        out(`flightdeck ${kind}: interrupted by ${received ?? outcome.interrupted} before the ${kind} started: nothing ran`);
        code = interruptedCode();
      } else if (!outcome.ok && outcome.refused) {
        out(`flightdeck ${kind}: refused: ${outcome.refused}`);
        if (outcome.blocked) out(`  to promote anyway (a guarded override, audited and notified): flightdeck promote ${loaded.file} --yes --override --reason "why it is safe"`);
        code = session.stateProblem ? ACT_EXIT.cannotEvaluate : ACT_EXIT.refused;
      } else {
        const r = outcome.result!;
        for (const s of r.steps) out(`  ${s.status.padEnd(20)} ${s.name}${s.exitCode !== null && s.exitCode !== undefined ? ` (exit ${s.exitCode})` : ''}${s.note ? ` — ${s.note}` : ''}`);
        out(`${kind} of ${stage.id}: ${r.summary}`);
        if (r.outcome === 'aborted' && received) {
          out(`flightdeck ${kind}: aborted by ${received}; audited as aborted; the lock is released`);
          code = interruptedCode();
        } else code = r.outcome === 'ok' ? ACT_EXIT.ok : ACT_EXIT.failed;
      }
      phase = 'notifying';
      await waitForNotifications(opened.notifier, notifyWaitMs, flushStop.signal, () => runtime.clock.now(), out);
      return code;
    } finally {
      await opened.close();
    }
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

/** Waits for delivery, saying what it waits for and what happens; bounded by `waitMs`. */
async function waitForNotifications(notifier: Notifier | null, waitMs: number, signal: AbortSignal, now: () => number, out: (line: string) => void): Promise<void> {
  if (!notifier) return;
  // Groups still open are sent now, so they are waited for too.
  const first = notifier.flush(waitMs, signal);
  const pending = notifier.waiting();
  if (pending.length === 0) {
    await first;
    return;
  }
  const unwatch = notifier.watch((ev) => {
    const what = `notification "${ev.title ?? ev.event ?? ev.notificationId}"`;
    if (ev.type === 'notify.delivered') out(`  ${what}: delivered to ${ev.channel}`);
    else if (ev.type === 'notify.retry') out(`  ${what}: ${ev.channel} answered ${ev.error ?? 'an error'}; next attempt in ${formatDuration(ev.retryInMs ?? 0)}`);
    else if (ev.type === 'notify.failed') out(`  ${what}: ${ev.channel} failed: ${ev.error ?? 'error'}`);
    else if (ev.type === 'notify.fallback') out(`  ${what}: not delivered, written to the fallback file (${ev.error ?? ''})`);
  });
  const lines = pending.map((p) => {
    const retry = p.nextAttemptAt !== undefined ? `, next attempt in ${formatDuration(Math.max(0, p.nextAttemptAt - now()))}` : '';
    return `${p.channel}: "${p.title}"${p.attempt > 0 ? ` (attempt ${p.attempt}${p.lastError ? `: ${p.lastError}` : ''}${retry})` : ''}`;
  });
  out(`waiting up to ${formatDuration(waitMs)} for ${pending.length} notification deliver${pending.length === 1 ? 'y' : 'ies'} (Ctrl-C to stop waiting):`);
  for (const l of lines) out(`  ${l}`);
  try {
    await first;
  } finally {
    unwatch();
  }
}
