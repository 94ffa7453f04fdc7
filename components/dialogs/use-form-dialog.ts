/**
 * The reducer hook and the input hook every form dialog shares: the state
 * (what it was opened with, its form) and a modal key layer while it is open.
 * Keys read the newest state from a ref the reducer updates at once, so keys
 * arriving in one burst (a paste, a fast typist over SSH) see each other.
 */
import { useCallback, useRef, useState } from 'react';
import type { ActionOutcomeView, CockpitActions } from '../../src/ui-contract.js';
import { useModalLayer } from '../input/KeyLayers.js';
import type { Token } from '../theme.js';
import { closedDialog, dialogReducer, formKey, type DialogAction, type FormItem, type FormState } from './form.js';
import type { RunInfo } from './run-state.js';

/** What the dialogs act through. */
export interface DialogDeps {
  actions: CockpitActions;
  /** Runs a confirmed action and shows it running, then its outcome. */
  startRun(info: RunInfo, act: () => Promise<ActionOutcomeView>): void;
  /** q / Ctrl-C: asks first while an action runs. */
  requestQuit(): void;
  /** A line in the footer. */
  message(text: string, tok: Token): void;
}

export interface FormDialogSpec<P> {
  items(payload: P, form: FormState): FormItem[];
  /** Enter on a button; `close` closes the dialog. */
  onButton(id: string, payload: P, form: FormState, api: { close(): void; error(text: string): void }): void;
  requestQuit(): void;
}

export interface FormDialog<P> {
  payload: P | null;
  form: FormState;
  isOpen: boolean;
  open(payload: P, focus?: number): void;
  close(): void;
}

export function useFormDialog<P>(spec: FormDialogSpec<P>): FormDialog<P> {
  const [state, setState] = useState(closedDialog<P>);
  const ref = useRef(state);
  const apply = useCallback((a: DialogAction<P>) => {
    const next = dialogReducer(ref.current, a);
    if (next === ref.current) return;
    ref.current = next;
    setState(next);
  }, []);
  const open = useCallback((payload: P, focus?: number) => apply({ type: 'open', payload, focus }), [apply]);
  const close = useCallback(() => apply({ type: 'close' }), [apply]);

  useModalLayer((input, key) => {
    const { payload, form } = ref.current;
    if (payload === null) return;
    formKey(spec.items(payload, form), form, apply, input, key, {
      onButton: (id) => spec.onButton(id, payload, form, { close, error: (text) => apply({ type: 'error', text }) }),
      onClose: close,
      onQuit: spec.requestQuit,
    });
  }, state.payload !== null);

  return { payload: state.payload, form: state.form, isOpen: state.payload !== null, open, close };
}
