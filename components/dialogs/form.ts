/**
 * What every dialog is made of: text fields, optional-step checkboxes and
 * buttons, one of them focused. A reducer for the state and one key handler,
 * so the dialogs differ only in their items, their checks and what their
 * buttons do. Enter presses the focused button; in a field it moves on, so
 * typing and Enter never confirm anything by themselves.
 */
import type { Key } from 'ink';
import { dialogActionFor } from '../keymap.js';

export type ItemKind = 'field' | 'check' | 'button';

export interface FormItem {
  id: string;
  kind: ItemKind;
}

export interface FormState {
  focus: number;
  values: Readonly<Record<string, string>>;
  checked: readonly string[];
  /** Why the last button press did nothing (too short a reason, a refused sign-off). */
  error: string | null;
  /** What the dialog waits for (the guard's answer to a sign-off); its button does nothing meanwhile. */
  busy: string | null;
}

/** A dialog's state: what it was opened with (null: closed) and its form. */
export interface DialogState<P> {
  payload: P | null;
  form: FormState;
}

export type FormAction =
  | { type: 'focus'; index: number }
  | { type: 'type'; id: string; text: string }
  | { type: 'erase'; id: string }
  | { type: 'toggle'; id: string }
  | { type: 'error'; text: string | null }
  | { type: 'busy'; text: string | null };

export type DialogAction<P> = { type: 'open'; payload: P; focus?: number } | { type: 'close' } | FormAction;

/** Longest text a field keeps (a reason, a note). */
export const MAX_FIELD_LENGTH = 200;

export const emptyForm = (focus = 0): FormState => ({ focus, values: {}, checked: [], error: null, busy: null });

export function closedDialog<P>(): DialogState<P> {
  return { payload: null, form: emptyForm() };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function formReducer(s: FormState, a: FormAction): FormState {
  switch (a.type) {
    case 'focus':
      return s.focus === a.index ? s : { ...s, focus: a.index };
    case 'type': {
      const text = a.text.replace(CONTROL, '');
      if (!text) return s;
      const value = [...((s.values[a.id] ?? '') + text)].slice(0, MAX_FIELD_LENGTH).join('');
      return { ...s, values: { ...s.values, [a.id]: value }, error: null };
    }
    case 'erase': {
      const cur = s.values[a.id] ?? '';
      if (!cur) return s;
      return { ...s, values: { ...s.values, [a.id]: [...cur].slice(0, -1).join('') }, error: null };
    }
    case 'toggle': {
      const on = s.checked.includes(a.id);
      return { ...s, checked: on ? s.checked.filter((c) => c !== a.id) : [...s.checked, a.id], error: null };
    }
    case 'error':
      return { ...s, error: a.text, busy: null };
    case 'busy':
      return { ...s, busy: a.text, error: null };
  }
}

export function dialogReducer<P>(s: DialogState<P>, a: DialogAction<P>): DialogState<P> {
  switch (a.type) {
    case 'open':
      return { payload: a.payload, form: emptyForm(a.focus ?? 0) };
    case 'close':
      return s.payload === null ? s : closedDialog<P>();
    default: {
      if (s.payload === null) return s;
      const form = formReducer(s.form, a);
      return form === s.form ? s : { ...s, form };
    }
  }
}

export const fieldValue = (f: FormState, id: string): string => f.values[id] ?? '';

export interface FormKeyHandlers {
  /** Enter on a button (enabled or not: the dialog says why not). */
  onButton(id: string): void;
  /** Esc. */
  onClose(): void;
  /** Ctrl-C: the quit request (asks first while an action runs). */
  onQuit(): void;
}

const wrap = (i: number, n: number) => ((i % n) + n) % n;

/** One key in a form: focus moves, typing, ticking, Enter on the focused button. */
export function formKey(items: readonly FormItem[], f: FormState, dispatch: (a: FormAction) => void, input: string, key: Key, h: FormKeyHandlers): void {
  if (key.ctrl && input === 'c') return h.onQuit();
  const action = dialogActionFor(input, key);
  if (action === 'dialog-close') return h.onClose();
  const n = items.length;
  // Where nothing is typed, q is still the quit request.
  if (input === 'q' && !key.ctrl && !key.meta && !items.some((it) => it.kind === 'field')) return h.onQuit();
  if (n === 0) return;
  const focus = Math.min(Math.max(0, f.focus), n - 1);
  const item = items[focus]!;
  switch (action) {
    case 'dialog-next':
      return dispatch({ type: 'focus', index: wrap(focus + 1, n) });
    case 'dialog-prev':
      return dispatch({ type: 'focus', index: wrap(focus - 1, n) });
    case 'dialog-button-next':
    case 'dialog-button-prev': {
      if (item.kind !== 'button') return;
      const buttons = items.map((it, i) => (it.kind === 'button' ? i : -1)).filter((i) => i >= 0);
      const at = buttons.indexOf(focus);
      const next = buttons[wrap(at + (action === 'dialog-button-next' ? 1 : -1), buttons.length)]!;
      return dispatch({ type: 'focus', index: next });
    }
    case 'dialog-activate':
      if (item.kind === 'button') return h.onButton(item.id);
      return dispatch({ type: 'focus', index: wrap(focus + 1, n) });
    case 'dialog-toggle':
      if (item.kind === 'check') return dispatch({ type: 'toggle', id: item.id });
      if (item.kind === 'field') return dispatch({ type: 'type', id: item.id, text: ' ' });
      return;
    case 'dialog-erase':
      if (item.kind === 'field') dispatch({ type: 'erase', id: item.id });
      return;
    default:
      if (item.kind === 'field' && input && !key.ctrl && !key.meta) dispatch({ type: 'type', id: item.id, text: input });
  }
}
