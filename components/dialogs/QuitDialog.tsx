/** Quitting while an action runs: Stay is focused, Quit needs focus and Enter. */
import React from 'react';
import type { RunningAction } from '../../src/ui-contract.js';
import { formatAge, sanitize } from '../format.js';
import { seg } from '../Line.js';
import { useTheme } from '../ThemeContext.js';
import { DialogFrame, type DialogBox } from './DialogFrame.js';
import { fixed, section, spacer, type Section } from './fit.js';
import type { FormItem, FormState } from './form.js';
import { buttonsLine, statusLine, titleLine, wrapped } from './parts.js';
import { useFormDialog, type FormDialog } from './use-form-dialog.js';
import { DIALOG_PRIORITY } from './use-ref-reducer.js';

const ITEMS: FormItem[] = [
  { id: 'stay', kind: 'button' },
  { id: 'quit', kind: 'button' },
];

/** The action the dialog was opened for (payload), so it can say what will be stopped. */
export function useQuitDialog(onQuit: () => void): FormDialog<RunningAction> {
  return useFormDialog<RunningAction>({
    items: () => ITEMS,
    // Ctrl-C again while asked: stay (quitting needs Quit focused and Enter).
    requestQuit: () => {},
    priority: DIALOG_PRIORITY.quit,
    onButton(id, _p, _f, api) {
      api.close();
      if (id === 'quit') onQuit();
    },
  });
}

export function runningText(a: RunningAction, now: number): string {
  return `${sanitize(a.kind)} by ${sanitize(a.operator)} is running (${formatAge(now - a.startedAt)}).`;
}

/** `current` is the action running now (null once it ended). */
export function QuitDialog({ opened, current, now, f, box }: { opened: RunningAction; current: RunningAction | null; now: number; f: FormState; box: DialogBox }) {
  const theme = useTheme();
  const focus = ITEMS[f.focus]?.id;
  const sections: Section[] = [
    section(0, 1, current ? wrapped(runningText(current, now), box.width, 'warn', { lead: [seg('  ')] }) : wrapped(`${sanitize(opened.kind)} by ${sanitize(opened.operator)} has ended.`, box.width, 'ok', { lead: [seg('  ')] })),
    section(0, 1, wrapped(current ? 'Quit anyway? The action will be stopped and its processes killed.' : 'Nothing runs now; Quit leaves the cockpit.', box.width, current ? 'danger' : 'text', { lead: [seg('  ')] })),
    spacer(),
    fixed(0, buttonsLine(theme, [
      { id: 'stay', label: 'Stay', focused: focus === 'stay', enabled: true },
      { id: 'quit', label: 'Quit', focused: focus === 'quit', enabled: true, danger: true },
    ])),
    fixed(1, statusLine(null, focus === 'quit' ? 'Enter quits. Esc stays.' : 'Enter or Esc stays. Tab or Right, then Enter, quits.')),
  ];
  return <DialogFrame title={titleLine(theme, 'QUIT?', 'danger', [], 'Esc stays')} sections={sections} box={box} />;
}
