/** Keys a use of the cockpit adds (replay's play/pause/seek): matching and labels. */
import type { Key } from 'ink';
import type { ExtraKey } from '../src/ui-contract.js';

export function extraKeyMatches(k: ExtraKey, input: string, key: Key): boolean {
  return k.keys.some((name) => (name === 'space' ? input === ' ' : name.length === 1 ? input === name && !key.ctrl && !key.meta : false));
}

export function extraKeyLabel(k: ExtraKey): string {
  return k.keys.map((n) => (n === 'space' ? 'Space' : n)).join('/');
}

/**
 * The extra keys an input runs, in order: one, or one per character when a
 * fast typist's keys arrive together ("]]]"). Empty: the cockpit's own keys apply.
 */
export function findExtraKeys(keys: readonly ExtraKey[] | undefined, input: string, key: Key): ExtraKey[] {
  if (!keys?.length) return [];
  const one = keys.find((k) => extraKeyMatches(k, input, key));
  if (one) return [one];
  if (input.length < 2 || key.ctrl || key.meta) return [];
  const each = [...input].map((ch) => keys.find((k) => extraKeyMatches(k, ch, key)));
  return each.every((k): k is ExtraKey => k !== undefined) ? each : [];
}
