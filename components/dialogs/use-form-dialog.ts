/**
 * The reducer hook and the input hook every form dialog shares: the state
 * (what it was opened with, its form) and a key layer above the cockpit's
 * that owns every key while the dialog is open. Keys read the newest state
 * from a ref the reducer updates at once, so keys arriving in one burst (a
 * paste, typeahead over SSH) see each other and the dialog they opened.
 */
import { useCallback } from 'react';
import type { ActionOutcomeView, CockpitActions } from '../../src/ui-contract.js';
import { useKeyLayer } from '../input/KeyLayers.js';
import type { Token } from '../theme.js';
import { closedDialog, dialogReducer, formKey, type DialogAction, type DialogState, type FormItem, type FormState } from './form.js';
import type { RunInfo } from './run-state.js';
import { DIALOG_PRIORITY, useRefReducer } from './use-ref-reducer.js';

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

/** What a button's handler can do to its dialog. */
export interface FormApi {
  close(): void;
  error(text: string): void;
  /** Waiting for an answer: shown in the status line. */
  busy(text: string): void;
  /** The dialog still shows what the button was pressed on (an answer that comes later may find it closed, or open on another). */
  isShowing(): boolean;
}

export interface FormDialogSpec<P> {
  items(payload: P, form: FormState): FormItem[];
  /** Enter on a button; `close` closes the dialog. */
  onButton(id: string, payload: P, form: FormState, api: FormApi): void;
  requestQuit(): void;
  /** DIALOG_PRIORITY.form unless it must come first (quit). */
  priority?: number;
}

export interface FormDialog<P> {
  payload: P | null;
  form: FormState;
  isOpen: boolean;
  /** Open now, before React rendered it. */
  openNow(): boolean;
  open(payload: P, focus?: number): void;
  close(): void;
}

export function useFormDialog<P>(spec: FormDialogSpec<P>): FormDialog<P> {
  const [state, apply, ref] = useRefReducer<DialogState<P>, DialogAction<P>>(dialogReducer, closedDialog);
  const open = useCallback((payload: P, focus?: number) => apply({ type: 'open', payload, focus }), [apply]);
  const close = useCallback(() => apply({ type: 'close' }), [apply]);

  const openNow = useCallback(() => ref.current.payload !== null, [ref]);
  useKeyLayer(spec.priority ?? DIALOG_PRIORITY.form, (input, key) => {
    const { payload, form } = ref.current;
    if (payload === null) return false;
    formKey(spec.items(payload, form), form, apply, input, key, {
      onButton: (id) =>
        spec.onButton(id, payload, form, {
          close,
          error: (text) => apply({ type: 'error', text }),
          busy: (text) => apply({ type: 'busy', text }),
          isShowing: () => ref.current.payload === payload,
        }),
      onClose: close,
      onQuit: spec.requestQuit,
    });
    return true;
  });

  return { payload: state.payload, form: state.form, isOpen: state.payload !== null, openNow, open, close };
}
