/** The cockpit's cell formatting: ages, clock times, values, thresholds, safe text, cutting by columns. */
import { describe, expect, it } from 'vitest';
import { formatCoarseRemaining } from '../src/present/values.js';
import stringWidth from 'string-width';
import { cell, chunk, codePointCount, firstCodePoints, firstColumns, formatAge, formatClock, formatThresholds, formatValue, lastColumns, sanitize, spaces, textWidth, truncate } from './format.js';
import { fitSegments } from './Line.js';

describe('format', () => {
  it('a coarse remaining time: under 10 s it says so, never a longer wait than one poll of a second', () => {
    expect(formatCoarseRemaining(1_000)).toBe('<10s');
    expect(formatCoarseRemaining(8_900)).toBe('<10s');
    expect(formatCoarseRemaining(10_000)).toBe('10s');
    expect(formatCoarseRemaining(11_000)).toBe('20s');
    expect(formatCoarseRemaining(0)).toBe('0s');
    expect(formatCoarseRemaining(150_000)).toBe('3m');
  });

  it('ages, clock times, values, thresholds', () => {
    expect(formatAge(252_000)).toBe('4m12s');
    expect(formatAge(-5)).toBe('0s');
    expect(formatClock(Date.UTC(2026, 0, 1, 9, 5, 7), true)).toBe('09:05:07');
    expect(formatValue(0.071234)).toBe('0.0712');
    expect(formatValue(null)).toBe('-');
    expect(formatValue(true)).toBe('true');
    expect(formatThresholds(['> 0.05'], ['> 0.03'])).toBe('> 0.05 | warn > 0.03');
    expect(formatThresholds([], [], true)).toBe('-');
  });

  it('sanitizes escapes and control characters out of outside text', () => {
    expect(sanitize('a\u001b[2Jb\u001b]0;title\u0007c\r\nd\te')).toBe('abc d e');
  });

  it('truncates and chunks by columns', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(chunk('abcdefghij', 4, 2)).toEqual(['abcd', 'efg…']);
    expect(fitSegments([{ text: 'abc', tok: 'ok' }, { text: 'def', tok: 'ok' }, { text: 'ghi' }], 7, '~')).toEqual([{ text: 'abcdef~', tok: 'ok' }]);
  });
});

describe('codePointCount and firstCodePoints count code points as the spread did', () => {
  it('agree with [...s] on ASCII, glyphs, astral characters and lone surrogates', () => {
    const samples = ['', 'abc', '●─│✓▶', '👍x👍', 'a\ud83d', '\udc4db', '\ud83d\ud83d\udc4d', '🇩🇪 flag', 'e\u0301'];
    for (const s of samples) {
      expect([s, codePointCount(s)]).toEqual([s, [...s].length]);
      for (let n = 0; n <= [...s].length + 1; n++) expect([s, n, firstCodePoints(s, n)]).toEqual([s, n, [...s].slice(0, n).join('')]);
    }
  });
});

describe('columns: what a terminal shows (wide characters two, combining marks none)', () => {
  // Node names and labels from a fleet nobody chose for the cockpit.
  const samples = ['', 'abc', '●─│✓▶', '节点-1', 'cafe\u0301-2', 'node-👍-3', '⟳-node™-4', '🇩🇪 flag', '👨‍👩‍👧 family', 'ｶﾞ', '한국어', 'क्षत्रिय'];

  it('textWidth is string-width', () => {
    for (const s of samples) expect([s, textWidth(s)]).toEqual([s, stringWidth(s)]);
  });

  it('firstColumns and lastColumns keep whole characters, at most the columns asked, as many as fit', () => {
    for (const s of samples) {
      const gs = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].map((x) => x.segment);
      for (let cols = 0; cols <= stringWidth(s) + 1; cols++) {
        // The longest run of whole graphemes from the start (from the end) that fits.
        let head = '';
        for (const g of gs) if (stringWidth(head + g) <= cols) head += g; else break;
        let tail = '';
        for (const g of [...gs].reverse()) if (stringWidth(g + tail) <= cols) tail = g + tail; else break;
        expect([s, cols, firstColumns(s, cols), lastColumns(s, cols)]).toEqual([s, cols, head, tail]);
      }
    }
  });

  it('cell pads a name of wide or combining characters to its columns, and truncate never splits one', () => {
    expect(stringWidth(cell('节点-1', 10))).toBe(10);
    expect(stringWidth(cell('cafe\u0301-2', 10))).toBe(10);
    expect(stringWidth(cell('node-👍-3', 10))).toBe(10);
    expect(truncate('节点节点', 4)).toBe('节…');
    expect(stringWidth(cell('节点节点', 4))).toBe(4);
    expect(fitSegments([{ text: 'ab节点' }, { text: 'cd' }], 4, '…')).toEqual([{ text: 'ab…' }]);
  });
});

it('spaces(n) is n spaces, none for n <= 0, the same string again for the same n', () => {
  for (let n = -3; n <= 600; n++) expect(spaces(n)).toBe(' '.repeat(Math.max(0, n)));
  expect(Object.is(spaces(40), spaces(40))).toBe(true);
});
