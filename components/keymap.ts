/**
 * The one binding table: every key of the cockpit with its scope (global,
 * list, filter, dialog; a view such as replay adds its own in scope
 * `replay`), whether it acts on production (`dangerous`: read-only mode
 * drops it), its help text and footer hint. The input hooks resolve keys
 * through it, the `?` help and the footer are drawn from it, and a view's
 * keys are checked against it when the view is built (viewBindings throws
 * on a clash instead of letting users find out).
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
  | 'past'
  | 'later'
  | 'redraw'
  | 'promote'
  | 'rollback'
  | 'signoff'
  | 'quit'
  | FilterKeyAction
  | DialogKeyAction;

/** Keys while the `/` filter is typed: everything else printable is text. */
export type FilterKeyAction = 'filter-accept' | 'filter-cancel' | 'filter-erase';

/**
 * Where a binding applies. global: on every screen; list: the dashboard and
 * details (moving, opening, filtering); filter: while a filter is typed;
 * dialog: inside a dialog; replay (or any view's own): the view's keys,
 * which must not clash with global or list keys.
 */
export type Scope = 'global' | 'list' | 'filter' | 'dialog' | 'replay';

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
  scope: Scope;
  /** Acts on production (promote, roll back, sign off): read-only mode drops it. */
  dangerous?: boolean;
  group: 'Move' | 'View' | 'Engine' | 'Actions' | 'Filter' | 'Dialogs';
  /** Short word for the footer; bindings without one are only in the help. */
  hint?: string;
}

export const KEYMAP: readonly Binding[] = [
  { action: 'focus-next', keys: [{ name: 'tab' }, { name: 'right' }], description: 'next panel', scope: 'list', group: 'Move', hint: 'panel' },
  { action: 'focus-prev', keys: [{ name: 'tab', shift: true }, { name: 'left' }], description: 'previous panel', scope: 'list', group: 'Move' },
  { action: 'row-down', keys: [{ char: 'j' }, { name: 'down' }], description: 'next row (gates, nodes) / scroll', scope: 'list', group: 'Move', hint: 'row' },
  { action: 'row-up', keys: [{ char: 'k' }, { name: 'up' }], description: 'previous row / scroll back', scope: 'list', group: 'Move' },
  { action: 'page-down', keys: [{ name: 'pagedown' }, { char: 'f', ctrl: true }], description: 'page down', scope: 'list', group: 'Move' },
  { action: 'page-up', keys: [{ name: 'pageup' }, { char: 'b', ctrl: true }], description: 'page up', scope: 'list', group: 'Move' },
  { action: 'top', keys: [{ char: 'g' }, { name: 'home' }], description: 'first row', scope: 'list', group: 'Move' },
  { action: 'bottom', keys: [{ char: 'G' }, { name: 'end' }], description: 'last row', scope: 'list', group: 'Move' },
  { action: 'open', keys: [{ name: 'return' }], description: 'open detail of the gate or node; an activity line or alert whole', scope: 'list', group: 'View', hint: 'detail' },
  { action: 'back', keys: [{ name: 'escape' }], description: 'back / close / return to live / clear the filter', scope: 'global', group: 'View', hint: 'back' },
  { action: 'filter', keys: [{ char: '/' }], description: 'filter gates or nodes by substring', scope: 'list', group: 'View', hint: 'filter' },
  { action: 'help', keys: [{ char: '?' }], description: 'show / hide this help', scope: 'global', group: 'View', hint: 'help' },
  { action: 'freeze', keys: [{ char: 'Z' }], description: 'freeze / resume the display (polling goes on)', scope: 'global', group: 'View', hint: 'freeze' },
  { action: 'past', keys: [{ char: '[' }], description: 'step back one poll: every panel as it was (polling goes on)', scope: 'global', group: 'View', hint: 'past' },
  { action: 'later', keys: [{ char: ']' }], description: 'step forward one poll; past the newest, live again', scope: 'global', group: 'View' },
  { action: 'redraw', keys: [{ char: 'l', ctrl: true }], description: 'redraw the screen', scope: 'global', group: 'View' },
  { action: 'refresh', keys: [{ char: 'r' }], description: 'poll now', scope: 'global', group: 'Engine', hint: 'refresh' },
  { action: 'promote', keys: [{ char: 'p' }], description: 'promote to the next stage', scope: 'global', dangerous: true, group: 'Actions', hint: 'promote' },
  { action: 'rollback', keys: [{ char: 'b' }], description: 'roll back', scope: 'global', dangerous: true, group: 'Actions', hint: 'rollback' },
  { action: 'signoff', keys: [{ char: 's' }], description: 'sign off a manual gate', scope: 'global', dangerous: true, group: 'Actions', hint: 'sign off' },
  { action: 'quit', keys: [{ char: 'q' }, { char: 'c', ctrl: true }], description: 'quit (asks if an action runs)', scope: 'global', group: 'Actions', hint: 'quit' },
  { action: 'filter-accept', keys: [{ name: 'return' }], description: 'keep the filter', scope: 'filter', group: 'Filter' },
  { action: 'filter-cancel', keys: [{ name: 'escape' }], description: 'clear the filter', scope: 'filter', group: 'Filter' },
  { action: 'filter-erase', keys: [{ name: 'backspace' }], description: 'delete a character', scope: 'filter', group: 'Filter' },
  // In a dialog every key goes to the dialog: letters are typed into its fields (q does not quit, r does not refresh).
  { action: 'dialog-next', keys: [{ name: 'tab' }, { name: 'down' }], description: 'next field / button', scope: 'dialog', group: 'Dialogs', hint: 'next' },
  { action: 'dialog-prev', keys: [{ name: 'tab', shift: true }, { name: 'up' }], description: 'previous field / button', scope: 'dialog', group: 'Dialogs' },
  { action: 'dialog-button-next', keys: [{ name: 'right' }], description: 'next button', scope: 'dialog', group: 'Dialogs' },
  { action: 'dialog-button-prev', keys: [{ name: 'left' }], description: 'previous button', scope: 'dialog', group: 'Dialogs' },
  { action: 'dialog-activate', keys: [{ name: 'return' }], description: 'press the focused button', scope: 'dialog', group: 'Dialogs', hint: 'press' },
  { action: 'dialog-toggle', keys: [{ char: ' ' }], description: 'tick an optional step', scope: 'dialog', group: 'Dialogs', hint: 'tick' },
  { action: 'dialog-erase', keys: [{ name: 'backspace' }], description: 'delete a character', scope: 'dialog', group: 'Dialogs' },
  { action: 'dialog-close', keys: [{ name: 'escape' }], description: 'cancel / close', scope: 'dialog', group: 'Dialogs', hint: 'cancel' },
];

/** The footer's hints, most needed first (it is cut at the terminal's width). */
export const FOOTER_ORDER: readonly KeyAction[] = ['help', 'quit', 'refresh', 'promote', 'rollback', 'signoff', 'freeze', 'past', 'filter', 'open', 'focus-next', 'row-down'];

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

/** The bindings in force in a scope; read-only drops the dangerous ones. */
export function bindingsIn(scopes: readonly Scope[], o: { readonly?: boolean } = {}): Binding[] {
  return KEYMAP.filter((b) => scopes.includes(b.scope) && !(o.readonly && b.dangerous));
}

function find(scopes: readonly Scope[], input: string, key: Key, readonly = false): Binding | undefined {
  for (const b of KEYMAP) if (scopes.includes(b.scope) && !(readonly && b.dangerous) && b.keys.some((k) => matchesSpec(k, input, key))) return b;
  return undefined;
}

/** The cockpit's action bound to this key press (global and list scopes), if any. */
export function actionFor(input: string, key: Key, o: { readonly?: boolean } = {}): KeyAction | undefined {
  return find(['global', 'list'], input, key, o.readonly)?.action;
}

/** A dangerous binding this key would have run but read-only mode dropped. */
export function droppedFor(input: string, key: Key): Binding | undefined {
  const b = find(['global', 'list'], input, key);
  return b?.dangerous ? b : undefined;
}

/** The filter field's action for this key, if any (printable keys are text). */
export function filterActionFor(input: string, key: Key): FilterKeyAction | undefined {
  return find(['filter'], input, key)?.action as FilterKeyAction | undefined;
}

/** The dialog action bound to this key press, if any. */
export function dialogActionFor(input: string, key: Key): DialogKeyAction | undefined {
  return find(['dialog'], input, key)?.action as DialogKeyAction | undefined;
}

/** Two key specs that one key press could match both of. */
export function sameKey(a: KeySpec, b: KeySpec): boolean {
  if (a.name || b.name) return a.name === b.name && !!a.ctrl === !!b.ctrl && !!a.shift === !!b.shift;
  return a.char === b.char && !!a.ctrl === !!b.ctrl;
}

/** A view's own key (replay's play, seek…), as a binding of scope `replay`. */
export interface ViewKey {
  keys: readonly KeySpec[];
  description: string;
  run(): void;
}

/**
 * The view's keys checked against the keys that are in force beside them
 * (global and list scopes, and each other): a clash throws, naming both
 * bindings, so a view with a key the cockpit already uses cannot be built.
 */
export function viewBindings(view: readonly ViewKey[], scope: Scope = 'replay', base: readonly Binding[] = KEYMAP): Array<ViewKey & { scope: Scope }> {
  const live = base.filter((b) => b.scope === 'global' || b.scope === 'list');
  const clashes: string[] = [];
  view.forEach((v, i) => {
    for (const k of v.keys) {
      for (const b of live) if (b.keys.some((bk) => sameKey(bk, k))) clashes.push(`${keyLabel(k)} is "${v.description}" (${scope}) and "${b.description}" (${b.scope})`);
      view.slice(0, i).forEach((o) => {
        if (o.keys.some((ok) => sameKey(ok, k))) clashes.push(`${keyLabel(k)} is "${v.description}" and "${o.description}" (${scope})`);
      });
    }
  });
  if (clashes.length) throw new Error(`key conflict in the ${scope} view: ${clashes.join('; ')}`);
  return view.map((v) => ({ ...v, scope }));
}
