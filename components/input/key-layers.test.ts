/** A chunk of input is a stream of keystrokes, each offered to the layers in order. */
import { describe, expect, it } from 'vitest';
import { inkKey as key } from '../testing/keys.js';
import { asciiByDefault } from '../theme.js';
import { KeyLayerStack, PRIORITY, splitKeys } from './key-layers.js';

describe('splitKeys', () => {
  it('makes one key of each printable character, capitals shifted', () => {
    expect(splitKeys('jjj', key()).map(([c]) => c)).toEqual(['j', 'j', 'j']);
    expect(splitKeys('/p95', key()).map(([c]) => c)).toEqual(['/', 'p', '9', '5']);
    expect(splitKeys('gG', key()).map(([, k]) => k.shift)).toEqual([false, true]);
  });

  it('keeps named and Ctrl keys whole; Esc and a key that arrived together are Esc, then the key', () => {
    expect(splitKeys('', key({ downArrow: true }))).toHaveLength(1);
    expect(splitKeys('l', key({ ctrl: true }))).toEqual([['l', key({ ctrl: true })]]);
    const [esc, q] = splitKeys('q', key({ meta: true }));
    expect(esc![1].escape).toBe(true);
    expect(q).toEqual(['q', key()]);
  });

  it('names Return, Tab and Ctrl-letters inside a chunk, as Ink names them alone', () => {
    const keys = splitKeys('\t\r', key());
    expect(keys).toEqual([
      ['', key({ tab: true })],
      ['', key({ return: true })],
    ]);
    const typed = splitKeys('ab\r\x0c', key());
    expect(typed.map(([c]) => c)).toEqual(['a', 'b', '', 'l']);
    expect(typed[2]![1].return).toBe(true);
    expect(typed[3]![1].ctrl).toBe(true);
    expect(typed.slice(0, 2).every(([, k]) => !k.return && !k.tab && !k.ctrl)).toBe(true);
  });

  it('a layer pushed by one key sees the next key of the same chunk', () => {
    const stack = new KeyLayerStack();
    const seen: string[] = [];
    let editing = false;
    stack.push(0, (input) => {
      if (editing) return false;
      if (input === '/') editing = true;
      seen.push(`base:${input}`);
      return true;
    });
    stack.push(50, (input) => {
      if (!editing) return false;
      seen.push(`filter:${input}`);
      return true;
    });
    stack.dispatchChunk('j/p9', key());
    expect(seen).toEqual(['base:j', 'base:/', 'filter:p', 'filter:9']);
  });
});

describe('asciiByDefault', () => {
  it('is true when the locale is set and not UTF-8', () => {
    expect(asciiByDefault({ LANG: 'C' })).toBe(true);
    expect(asciiByDefault({ LANG: 'en_US.UTF-8' })).toBe(false);
    expect(asciiByDefault({ LC_ALL: 'POSIX', LANG: 'en_US.UTF-8' })).toBe(true);
    expect(asciiByDefault({})).toBe(false);
  });
});

describe('KeyLayerStack', () => {
  it('offers keys from the highest priority down until one consumes', () => {
    const stack = new KeyLayerStack();
    const log: string[] = [];
    stack.push(PRIORITY.base, (i) => void log.push(`base:${i}`));
    const offView = stack.push(PRIORITY.view, (i) => {
      log.push(`view:${i}`);
      return i === 'x';
    });
    const offModal = stack.push(PRIORITY.modal, (i) => {
      log.push(`modal:${i}`);
      return true;
    });
    expect(stack.dispatch('q', key())).toBe(true);
    expect(log).toEqual(['modal:q']);
    offModal();
    log.length = 0;
    stack.dispatch('x', key());
    stack.dispatch('y', key());
    expect(log).toEqual(['view:x', 'view:y', 'base:y']);
    offView();
    expect(stack.size).toBe(1);
  });
});
