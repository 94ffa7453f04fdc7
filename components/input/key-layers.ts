/**
 * A priority stack of keyboard handlers. Every key goes to the active layers
 * from the highest priority down (the newest first among equals) until one
 * returns true. A dialog pushes a MODAL layer that returns true for every
 * key, so it owns the keyboard while it is open.
 */
import type { Key } from 'ink';

/** Returns true when it consumed the key. */
export type KeyHandler = (input: string, key: Key) => boolean | void;

export const PRIORITY = {
  /** The cockpit's global keys. */
  base: 0,
  /** A view that takes over the body (gate detail, help). */
  view: 10,
  /** A text field (the `/` filter). */
  input: 50,
  /** Dialogs: confirmations, override reasons. */
  modal: 100,
  /** Sees every key first and passes it on (the intro hides at the first key). */
  watch: 1000,
} as const;

interface Layer {
  id: number;
  priority: number;
  handler: KeyHandler;
}

export class KeyLayerStack {
  private layers: Layer[] = [];
  private seq = 0;

  /** Adds a layer; returns its removal. */
  push(priority: number, handler: KeyHandler): () => void {
    const layer = { id: ++this.seq, priority, handler };
    this.layers.push(layer);
    this.layers.sort((a, b) => b.priority - a.priority || b.id - a.id);
    return () => {
      this.layers = this.layers.filter((l) => l !== layer);
    };
  }

  /**
   * Offers a chunk of input to the layers, one keystroke at a time and in
   * order: a chunk of printable characters (a paste, keys that arrived
   * together over a slow link: "jjj", "/p95") is that many keys.
   */
  dispatchChunk(input: string, key: Key): void {
    for (const [ch, k] of splitKeys(input, key)) this.dispatch(ch, k);
  }

  /** Offers the key to the layers in order; true when one consumed it. */
  dispatch(input: string, key: Key): boolean {
    for (const layer of [...this.layers]) {
      if (layer.handler(input, key) === true) return true;
    }
    return false;
  }

  get size(): number {
    return this.layers.length;
  }

  /** The highest priority among the layers, or -Infinity. */
  get top(): number {
    return this.layers[0]?.priority ?? -Infinity;
  }
}

const NAMED: ReadonlyArray<keyof Key> = ['upArrow', 'downArrow', 'leftArrow', 'rightArrow', 'pageDown', 'pageUp', 'home', 'end', 'return', 'escape', 'tab', 'backspace', 'delete'];

/**
 * One chunk of terminal input as keystrokes: a named key or a modified key
 * is one; plain printable characters are one key each (shift set for
 * capitals, as Ink sets it for a single one).
 */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
  const chars = [...input];
  // Esc then a key, arrived together, reads as Alt-key; the cockpit binds no Alt keys: it is Esc, then the key.
  if (key.meta && !key.escape && !key.ctrl && chars.length >= 1 && !NAMED.some((n) => key[n]) && !/^[[O]/.test(input)) {
    const plain = { ...key, meta: false };
    return [['', { ...key, escape: true, meta: true, shift: false }], ...splitKeys(input, plain)];
  }
  if (chars.length <= 1 || key.ctrl || key.meta || NAMED.some((n) => key[n])) return [[input, key]];
  return chars.map((ch) => charKey(ch, key));
}

/**
 * One character of a chunk as Ink reads it when it arrives alone: Ink splits
 * escape sequences and backspaces out of a chunk but leaves Return, Tab and
 * Ctrl-letters inside it ("\t\r" from a quick Tab, Enter; "checkout\r" typed
 * ahead over a slow link), so they are named here, or they would reach the
 * layers as text and be lost.
 */
function charKey(ch: string, base: Key): [string, Key] {
  const plain: Key = { ...base, shift: /[A-Z]/.test(ch) };
  if (ch === '\r') return ['', { ...plain, return: true }];
  if (ch === '\t') return ['', { ...plain, tab: true }];
  if (ch === '\n') return ['', plain];
  const code = ch.codePointAt(0)!;
  if (code === 0) return [' ', { ...plain, ctrl: true }];
  if (code < 0x20) return [String.fromCharCode(code + (code <= 26 ? 96 : 64)), { ...plain, ctrl: true }];
  return [ch, plain];
}
