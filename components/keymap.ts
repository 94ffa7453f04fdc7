/**
 * The one keymap: the input hooks resolve keys to actions through it, and the
 * `?` help overlay and the footer hints are drawn from it.
 */
import type { Key } from 'ink';

export type KeyAction =
  | 'focus-next'
  | 'focus-prev'
  | 'row-down'
  | 'row-up'
  | 'page-down'
  | 'page-up'
  | 'top'
  | 'bottom'
  | 'open'
  | 'back'
  | 'filter'
  | 'help'
  | 'refresh'
  | 'freeze'
  | 'redraw'
  | 'promote'
  | 'rollback'
  | 'signoff'
  | 'quit'
  | DialogKeyAction;

/** Keys inside a dialog (promote, override, rollback, sign-off, quit): a modal layer resolves them. */
export type DialogKeyAction = 'dialog-next' | 'dialog-prev' | 'dialog-button-next' | 'dialog-button-prev' | 'dialog-activate' | 'dialog-toggle' | 'dialog-erase' | 'dialog-close';

export type KeyName = 'tab' | 'up' | 'down' | 'left' | 'right' | 'return' | 'escape' | 'pageup' | 'pagedown' | 'home' | 'end' | 'backspace';

export interface KeySpec {
  /** A printable character, exactly (so "Z" is shift-z). */
  char?: string;
  name?: KeyName;
  ctrl?: boolean;
  shift?: boolean;
}

export interface Binding {
  action: KeyAction;
  keys: readonly KeySpec[];
  description: string;
  group: 'Move' | 'View' | 'Engine' | 'Actions' | 'Dialogs';
  /** Short word for the footer; bindings without one are only in the help. */
  hint?: string;
}

export const KEYMAP: readonly Binding[] = [
  { action: 'focus-next', keys: [{ name: 'tab' }, { name: 'right' }], description: 'next panel', group: 'Move', hint: 'panel' },
  { action: 'focus-prev', keys: [{ name: 'tab', shift: true }, { name: 'left' }], description: 'previous panel', group: 'Move' },
  { action: 'row-down', keys: [{ char: 'j' }, { name: 'down' }], description: 'next row (gates, nodes) / scroll', group: 'Move', hint: 'row' },
  { action: 'row-up', keys: [{ char: 'k' }, { name: 'up' }], description: 'previous row / scroll back', group: 'Move' },
  { action: 'page-down', keys: [{ name: 'pagedown' }, { char: ' ' }], description: 'page down', group: 'Move' },
  { action: 'page-up', keys: [{ name: 'pageup' }], description: 'page up', group: 'Move' },
  { action: 'top', keys: [{ char: 'g' }, { name: 'home' }], description: 'first row', group: 'Move' },
  { action: 'bottom', keys: [{ char: 'G' }, { name: 'end' }], description: 'last row', group: 'Move' },
  { action: 'open', keys: [{ name: 'return' }], description: 'open detail of the gate or node', group: 'View', hint: 'detail' },
  { action: 'back', keys: [{ name: 'escape' }], description: 'back / close / clear the filter', group: 'View', hint: 'back' },
  { action: 'filter', keys: [{ char: '/' }], description: 'filter gates or nodes by substring', group: 'View', hint: 'filter' },
  { action: 'help', keys: [{ char: '?' }], description: 'show / hide this help', group: 'View', hint: 'help' },
  { action: 'freeze', keys: [{ char: 'Z' }], description: 'freeze / resume the display (polling goes on)', group: 'View', hint: 'freeze' },
  { action: 'redraw', keys: [{ char: 'l', ctrl: true }], description: 'redraw the screen', group: 'View' },
  { action: 'refresh', keys: [{ char: 'r' }], description: 'poll now', group: 'Engine', hint: 'refresh' },
  { action: 'promote', keys: [{ char: 'p' }], description: 'promote to the next stage', group: 'Actions', hint: 'promote' },
  { action: 'rollback', keys: [{ char: 'b' }], description: 'roll back', group: 'Actions', hint: 'rollback' },
  { action: 'signoff', keys: [{ char: 's' }], description: 'sign off a manual gate', group: 'Actions', hint: 'sign off' },
  { action: 'quit', keys: [{ char: 'q' }, { char: 'c', ctrl: true }], description: 'quit (asks if an action runs)', group: 'Actions', hint: 'quit' },
  // In a dialog every key goes to the dialog: letters are typed into its fields (q does not quit, r does not refresh).
  { action: 'dialog-next', keys: [{ name: 'tab' }, { name: 'down' }], description: 'next field / button', group: 'Dialogs', hint: 'next' },
  { action: 'dialog-prev', keys: [{ name: 'tab', shift: true }, { name: 'up' }], description: 'previous field / button', group: 'Dialogs' },
  { action: 'dialog-button-next', keys: [{ name: 'right' }], description: 'next button', group: 'Dialogs' },
  { action: 'dialog-button-prev', keys: [{ name: 'left' }], description: 'previous button', group: 'Dialogs' },
  { action: 'dialog-activate', keys: [{ name: 'return' }], description: 'press the focused button', group: 'Dialogs', hint: 'press' },
  { action: 'dialog-toggle', keys: [{ char: ' ' }], description: 'tick an optional step', group: 'Dialogs', hint: 'tick' },
  { action: 'dialog-erase', keys: [{ name: 'backspace' }], description: 'delete a character', group: 'Dialogs' },
  { action: 'dialog-close', keys: [{ name: 'escape' }], description: 'cancel / close', group: 'Dialogs', hint: 'cancel' },
];

/** The footer's hints, most needed first (it is cut at the terminal's width). */
export const FOOTER_ORDER: readonly KeyAction[] = ['help', 'quit', 'refresh', 'promote', 'rollback', 'signoff', 'freeze', 'filter', 'open', 'focus-next', 'row-down'];

/** The footer's hints while a dialog is open. */
export const DIALOG_FOOTER_ORDER: readonly DialogKeyAction[] = ['dialog-next', 'dialog-activate', 'dialog-close', 'dialog-toggle'];

const NAME_LABEL: Record<KeyName, string> = {
  tab: 'Tab',
  up: 'Up',
  down: 'Down',
  left: 'Left',
  right: 'Right',
  return: 'Enter',
  escape: 'Esc',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  backspace: 'Backspace',
};

export function keyLabel(spec: KeySpec): string {
  const mods = `${spec.ctrl ? 'Ctrl-' : ''}${spec.shift ? 'Shift-' : ''}`;
  if (spec.name) return mods + NAME_LABEL[spec.name];
  const ch = spec.char === ' ' ? 'Space' : (spec.char ?? '');
  return mods + (spec.ctrl ? ch.toUpperCase() : ch);
}

export function bindingLabel(b: Binding): string {
  return b.keys.map(keyLabel).join(' / ');
}

export function bindingFor(action: KeyAction): Binding {
  const b = KEYMAP.find((x) => x.action === action);
  if (!b) throw new Error(`no key binding for ${action}`);
  return b;
}

function keyName(key: Key): KeyName | undefined {
  if (key.tab) return 'tab';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.return) return 'return';
  if (key.escape) return 'escape';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.backspace || key.delete) return 'backspace';
  return undefined;
}

export function matchesSpec(spec: KeySpec, input: string, key: Key): boolean {
  if (spec.name) {
    if (keyName(key) !== spec.name) return false;
    if (!!spec.ctrl !== !!key.ctrl) return false;
    return spec.name === 'tab' ? !!spec.shift === !!key.shift : true;
  }
  if (spec.char === undefined || input !== spec.char) return false;
  if (keyName(key) !== undefined) return false;
  return !!spec.ctrl === !!key.ctrl;
}

/** The cockpit's action bound to this key press, if any (dialog keys are left out). */
export function actionFor(input: string, key: Key): KeyAction | undefined {
  for (const b of KEYMAP) if (b.group !== 'Dialogs' && b.keys.some((k) => matchesSpec(k, input, key))) return b.action;
  return undefined;
}

/** The dialog action bound to this key press, if any. */
export function dialogActionFor(input: string, key: Key): DialogKeyAction | undefined {
  for (const b of KEYMAP) if (b.group === 'Dialogs' && b.keys.some((k) => matchesSpec(k, input, key))) return b.action as DialogKeyAction;
  return undefined;
}
