/**
 * The quit question.
 * In this process (no guard), it is asked only while an action runs: Stay is
 * focused, Quit (which stops the action) needs focus and Enter.
 * Attached to a guard, it is asked on every quit: Detach is focused (the guard
 * keeps watching and acts on its own, a running action goes on under it);
 * "Stop the guard too" is offered beside it, never as the default, and says
 * what it costs: nothing polls or rolls back after that.
 */
import React from 'react';
import type { GuardControl, RunningAction } from '../../src/ui-contract.js';
import { formatAge, sanitize } from '../format.js';
import { seg } from '../Line.js';
import { useTheme } from '../ThemeContext.js';
import { DialogFrame, type DialogBox } from './DialogFrame.js';
import { fixed, section, spacer, type Section } from './fit.js';
import type { FormItem, FormState } from './form.js';
import { buttonsLine, statusLine, titleLine, wrapped } from './parts.js';
import { useFormDialog, type FormDialog } from './use-form-dialog.js';
import { DIALOG_PRIORITY } from './use-ref-reducer.js';

/** What the dialog was opened for: the action running then (so it can say what goes on), and the guard if attached. */
export interface QuitAsk {
  action: RunningAction | null;
  guard: GuardControl | null;
  /** The guard was asked to stop and has not answered yet. */
  stopping?: boolean;
}

const ITEMS: FormItem[] = [
  { id: 'stay', kind: 'button' },
  { id: 'quit', kind: 'button' },
];

const ATTACHED_ITEMS: FormItem[] = [
  { id: 'stay', kind: 'button' },
  { id: 'detach', kind: 'button' },
  { id: 'stop-guard', kind: 'button' },
];

/** Where the focus starts: Stay in this process, Detach when attached. */
export const quitFocus = (ask: QuitAsk): number => (ask.guard ? 1 : 0);

const items = (ask: QuitAsk): FormItem[] => (ask.guard ? ATTACHED_ITEMS : ITEMS);

export function useQuitDialog(onQuit: () => void): FormDialog<QuitAsk> {
  const dialog: FormDialog<QuitAsk> = useFormDialog<QuitAsk>({
    items,
    // Ctrl-C or q again while asked: stay (quitting needs a button and Enter).
    requestQuit: () => {},
    priority: DIALOG_PRIORITY.quit,
    onButton(id, ask, f, api) {
      if (ask.stopping) return;
      if (id === 'stay') return api.close();
      if (id === 'quit' || id === 'detach') {
        api.close();
        return onQuit();
      }
      if (id === 'stop-guard' && ask.guard) {
        const guard = ask.guard;
        dialog.open({ ...ask, stopping: true }, f.focus);
        void guard.stop().then(
          (out) => {
            if (out.ok) {
              dialog.close();
              onQuit();
            } else {
              dialog.open({ ...ask, stopping: false }, f.focus);
              api.error(`the guard was not stopped: ${out.refused ?? out.summary ?? 'it refused'}`);
            }
          },
          (err: unknown) => {
            dialog.open({ ...ask, stopping: false }, f.focus);
            api.error(`the guard was not stopped: ${err instanceof Error ? err.message : String(err)}`);
          },
        );
      }
    },
  });
  return dialog;
}

export function runningText(a: RunningAction, now: number): string {
  return `${sanitize(a.kind)} by ${sanitize(a.operator)} is running (${formatAge(now - a.startedAt)}).`;
}

/** `current` is the action running now (null once it ended). */
export function QuitDialog({ ask, current, now, f, box }: { ask: QuitAsk; current: RunningAction | null; now: number; f: FormState; box: DialogBox }) {
  const theme = useTheme();
  const focus = items(ask)[f.focus]?.id;
  const lead = { lead: [seg('  ')] };
  if (ask.guard) {
    const pid = ask.guard.pid;
    const what = current
      ? wrapped(`${runningText(current, now)} The guard goes on with it after you leave.`, box.width, 'warn', lead)
      : ask.action
        ? wrapped(`${sanitize(ask.action.kind)} by ${sanitize(ask.action.operator)} has ended.`, box.width, 'ok', lead)
        : [];
    const hint = ask.stopping
      ? 'Asking the guard to stop…'
      : focus === 'stop-guard'
        ? 'Enter stops the guard and quits. Esc stays.'
        : focus === 'detach'
          ? 'Enter detaches; the guard keeps watching. Esc stays.'
          : 'Enter or Esc stays.';
    const sections: Section[] = [
      ...(what.length ? [section(0, 1, what)] : []),
      section(0, 1, wrapped(`Detach: the guard (pid ${pid}) keeps watching: it polls, judges and rolls back on its own.`, box.width, 'text', lead)),
      section(
        0,
        1,
        wrapped(
          current
            ? `Stop the guard too: it finishes the ${sanitize(current.kind)} and audits it, then stops. After that nothing polls and nothing rolls back on its own (no more auto-rollback) until a guard is started again.`
            : 'Stop the guard too: nothing polls and nothing rolls back on its own after that (no more auto-rollback) until a guard is started again.',
          box.width,
          'danger',
          lead,
        ),
      ),
      spacer(),
      fixed(0, buttonsLine(theme, [
        { id: 'stay', label: 'Stay', focused: focus === 'stay', enabled: !ask.stopping },
        { id: 'detach', label: 'Detach', focused: focus === 'detach', enabled: !ask.stopping },
        { id: 'stop-guard', label: 'Stop the guard too', focused: focus === 'stop-guard', enabled: !ask.stopping, danger: true },
      ])),
      fixed(1, statusLine(f.error, hint)),
    ];
    return <DialogFrame title={titleLine(theme, 'QUIT?', 'accent', [], 'Esc stays')} sections={sections} box={box} />;
  }
  const opened = ask.action!;
  const sections: Section[] = [
    section(0, 1, current ? wrapped(runningText(current, now), box.width, 'warn', lead) : wrapped(`${sanitize(opened.kind)} by ${sanitize(opened.operator)} has ended.`, box.width, 'ok', lead)),
    section(0, 1, wrapped(current ? 'Quit anyway? The action will be stopped and its processes killed.' : 'Nothing runs now; Quit leaves the cockpit.', box.width, current ? 'danger' : 'text', lead)),
    spacer(),
    fixed(0, buttonsLine(theme, [
      { id: 'stay', label: 'Stay', focused: focus === 'stay', enabled: true },
      { id: 'quit', label: 'Quit', focused: focus === 'quit', enabled: true, danger: true },
    ])),
    fixed(1, statusLine(null, focus === 'quit' ? 'Enter quits. Esc stays.' : 'Enter or Esc stays. Tab or Right, then Enter, quits.')),
  ];
  return <DialogFrame title={titleLine(theme, 'QUIT?', 'danger', [], 'Esc stays')} sections={sections} box={box} />;
}
