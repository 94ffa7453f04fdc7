/** Keys a use of the cockpit adds (replay's play/pause/seek): as bindings of the view's scope, and their labels. */
import type { ExtraKey } from '../src/ui-contract.js';
import { keyLabel, viewBindings, type KeySpec, type ViewKey } from './keymap.js';

/** 'space' -> Space; one character -> that character. */
export function extraKeySpec(name: string): KeySpec {
  return { char: name === 'space' ? ' ' : name };
}

export function extraKeyLabel(k: ExtraKey): string {
  return k.keys.map((n) => keyLabel(extraKeySpec(n))).join('/');
}

/**
 * The view's keys as bindings, checked against the cockpit's global and list
 * keys: a clash throws here, when the view is built.
 */
export function buildViewKeys(keys: readonly ExtraKey[] | undefined): ViewKey[] {
  if (!keys?.length) return [];
  return viewBindings(keys.map((k) => ({ keys: k.keys.map(extraKeySpec), description: k.label, run: () => k.run() })));
}
