/**
 * The cockpit's dialogs in one hook: which one is open, the action this
 * cockpit started (running, then its outcome), and the quit request. The
 * cockpit calls openAction on p/b, openSignoff on s and requestQuit on q, and
 * draws render(box) in the body's place while isOpen.
 */
import React, { useCallback, useMemo, useRef } from 'react';
import type { EngineState, GateView } from '../../src/engine/types.js';
import type { RolloutStatus } from '../../src/present/rollout-status.js';
import type { ActionKind, ActionOutcomeView, CockpitActions, CockpitExtras } from '../../src/ui-contract.js';
import type { Token } from '../theme.js';
import type { DialogBox } from './DialogFrame.js';
import { NoticeDialog, useNoticeDialog } from './NoticeDialog.js';
import { PromoteDialog, usePromoteDialog } from './PromoteDialog.js';
import { QuitDialog, quitFocus, useQuitDialog } from './QuitDialog.js';
import { RollbackDialog, useRollbackDialog } from './RollbackDialog.js';
import { RunDialog, useRunKeys } from './RunDialog.js';
import { failedOutcome, outcomeText, runReducer, type RunInfo } from './run-state.js';
import { SignoffDialog, useSignoffDialog } from './SignoffDialog.js';
import type { DialogDeps } from './use-form-dialog.js';
import { useRefReducer } from './use-ref-reducer.js';

export interface DialogsOptions {
  /** Absent: nothing opens (the cockpit says "not available here"), and quitting never asks. */
  actions?: CockpitActions;
  /** Cockpit time, for how long an action has run. */
  now: number;
  /** The live state: the promote dialog shows blockers in their gates' units and a rollback's when and why. */
  state?: EngineState;
  readonly?: boolean;
  /** Where the rollout stands, as the status line says it (the promote dialog's words). */
  status?: RolloutStatus;
  extras: CockpitExtras;
  onQuit?: () => void;
  /** A line in the footer. */
  message(text: string, tok: Token): void;
  utc?: boolean;
}

export interface Dialogs {
  isOpen: boolean;
  openAction(kind: ActionKind): void;
  openSignoff(gate: GateView): void;
  /** Quits at once unless an action runs (then asks), or the cockpit is attached to a guard (then always asks: detach, or stop the guard too). */
  requestQuit(): void;
  render(box: DialogBox): React.ReactNode;
}

const KIND_TITLE: Record<ActionKind, string> = { promote: 'PROMOTE', rollback: 'ROLL BACK' };

export function useDialogs(o: DialogsOptions): Dialogs {
  const live = useRef(o);
  live.current = o;
  const message = useCallback((text: string, tok: Token) => live.current.message(text, tok), []);
  const onQuit = useCallback(() => live.current.onQuit?.(), []);
  const quitRef = useRef<() => void>(() => {});
  const requestQuit = useCallback(() => quitRef.current(), []);

  const [run, runDispatch, runRef] = useRefReducer(runReducer, () => null);
  const seq = useRef(0);
  const startRun = useCallback((info: RunInfo, act: () => Promise<ActionOutcomeView>) => {
    const id = ++seq.current;
    // An outcome not yet shown (it waited behind this dialog) goes to the footer rather than away.
    const prev = runRef.current;
    if (prev?.outcome) live.current.message(outcomeText(prev.info.kind, prev.outcome).text, prev.outcome.ok ? 'ok' : 'failing');
    runDispatch({ type: 'start', id, info, startedAt: live.current.now });
    let pending: Promise<ActionOutcomeView>;
    try {
      pending = act();
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (outcome) => runDispatch({ type: 'done', id, outcome }),
      (err: unknown) => runDispatch({ type: 'done', id, outcome: failedOutcome(info.kind, err) }),
    );
  }, [runDispatch, runRef]);

  const deps = useMemo<DialogDeps>(
    () => ({
      get actions() {
        const a = live.current.actions;
        if (!a) throw new Error('no actions were given to the cockpit');
        return a;
      },
      startRun,
      requestQuit,
      message,
    }),
    [startRun, requestQuit, message],
  );

  const notice = useNoticeDialog(requestQuit);
  const promote = usePromoteDialog(deps);
  const rollback = useRollbackDialog(deps);
  const signoff = useSignoffDialog(deps);
  const quit = useQuitDialog(onQuit);
  const formOpen = notice.isOpen || promote.isOpen || rollback.isOpen || signoff.isOpen;
  // The run shows while nothing else is open (its outcome waits for the other dialog to close).
  const runShown = run !== null && (run.visible || run.outcome !== null) && !formOpen && !quit.isOpen;
  const others = [notice, promote, rollback, signoff, quit];
  const othersRef = useRef(others);
  othersRef.current = others;
  const runShownNow = useCallback(() => {
    const r = runRef.current;
    return r !== null && (r.visible || r.outcome !== null) && !othersRef.current.some((d) => d.openNow());
  }, [runRef]);
  useRunKeys(runRef, runDispatch, runShownNow, { requestQuit, message });

  quitRef.current = () => {
    if (quit.openNow()) return;
    let running = null;
    try {
      running = live.current.actions?.running() ?? null;
    } catch {
      running = null;
    }
    const guard = live.current.actions?.guard ?? null;
    if (running || guard) {
      const ask = { action: running, guard };
      quit.open(ask, quitFocus(ask));
    } else onQuit();
  };

  const openAction = useCallback(
    (kind: ActionKind) => {
      const actions = live.current.actions;
      if (!actions) return;
      const cur = runRef.current;
      if (cur && !cur.outcome) {
        runDispatch({ type: 'show' });
        return;
      }
      let preview;
      try {
        preview = kind === 'promote' ? actions.previewPromote() : actions.previewRollback();
      } catch (err) {
        preview = `could not prepare the ${kind}: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (typeof preview === 'string') {
        notice.open({ title: KIND_TITLE[kind], text: preview, tok: 'warn' });
        message(preview, 'warn');
      } else if ('from' in preview) promote.open(preview);
      else rollback.open(preview);
    },
    [message, notice.open, promote.open, rollback.open],
  );

  const render = (box: DialogBox): React.ReactNode => {
    if (quit.payload) {
      let current = null;
      try {
        current = o.actions?.running() ?? null;
      } catch {
        current = null;
      }
      return <QuitDialog ask={quit.payload} current={current} now={o.now} f={quit.form} box={box} />;
    }
    if (notice.payload) return <NoticeDialog notice={notice.payload} box={box} />;
    if (promote.payload) {
      const o = live.current;
      const ctx = o.state && o.status ? { gates: o.state.gates, status: o.status, now: o.now, utc: o.utc } : undefined;
      return <PromoteDialog p={promote.payload} f={promote.form} box={box} ctx={ctx} />;
    }
    if (rollback.payload) return <RollbackDialog p={rollback.payload} f={rollback.form} box={box} />;
    if (signoff.payload) return <SignoffDialog gate={signoff.payload} f={signoff.form} box={box} utc={o.utc} />;
    if (runShown) return <RunDialog run={run} now={o.now} extras={o.extras} box={box} />;
    return null;
  };

  return { isOpen: formOpen || quit.isOpen || runShown, openAction, openSignoff: signoff.open, requestQuit, render };
}
