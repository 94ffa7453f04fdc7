/** Keys a use of the cockpit adds (replay's play/pause/seek): matching and labels. */
import type { Key } from 'ink';
import type { ExtraKey } from '../src/ui-contract.js';

export function extraKeyMatches(k: ExtraKey, input: string, key: Key): boolean {
  return k.keys.some((name) => (name === 'space' ? input === ' ' : name.length === 1 ? input === name && !key.ctrl && !key.meta : false));
}

export function extraKeyLabel(k: ExtraKey): string {
  return k.keys.map((n) => (n === 'space' ? 'Space' : n)).join('/');
}

/** The first extra key matching, or undefined (the cockpit's own keys then apply). */
export function findExtraKey(keys: readonly ExtraKey[] | undefined, input: string, key: Key): ExtraKey | undefined {
  return keys?.find((k) => extraKeyMatches(k, input, key));
}
