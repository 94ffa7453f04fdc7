/** Line rendering: one pre-styled <Text> per row, the same bytes as nested <Text>s, and only changed rows re-render. */
import React from 'react';
import chalk from 'chalk';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fitSegments, Lines, line, seg, styleProps, type LineSpec, type Seg } from './Line.js';
import { firstColumns, textWidth } from './format.js';
import { mulberry32 } from '../src/simulator/prng.js';
import { outputCachesInUse, outputStageStats } from './ink-output.js';
import { makeTheme, type Theme, type Token } from './theme.js';
import { ThemeProvider } from './ThemeContext.js';
import { renderSized, stripAnsi, waitForFrame, type SizedRender } from './testing/render.js';

// Every <Text> Ink draws, counted by its children (a row's string), to see which rows React re-rendered.
const drawn = vi.hoisted(() => new Map<string, number>());
vi.mock('ink', async (importOriginal) => {
  const ink = await importOriginal<typeof import('ink')>();
  const Text = (props: React.ComponentProps<typeof ink.Text>) => {
    if (typeof props.children === 'string') drawn.set(props.children, (drawn.get(props.children) ?? 0) + 1);
    return <ink.Text {...props} />;
  };
  return { ...ink, Text };
});
const { Text } = await import('ink');

let open: SizedRender[] = [];
afterEach(() => {
  for (const r of open) r.unmount();
  open = [];
  drawn.clear();
});
beforeAll(() => {
  chalk.level = 1;
});

/** How the rows were drawn before: one <Text> per segment inside the row's <Text>. */
function NestedLines({ lines, width, theme }: { lines: LineSpec[]; width: number; theme: Theme }) {
  return (
    <>
      {lines.map((spec, i) => {
        const segs = fitSegments(spec.segs, width, theme.glyphs.ellipsis);
        const rowStyle = spec.row ? styleProps(theme.styles[spec.row]) : {};
        if (segs.length === 0) return <Text key={i}> </Text>;
        return (
          <Text key={i} wrap="truncate" {...rowStyle}>
            {segs.map((s, j) =>
              s.tok ? (
                <Text key={j} {...styleProps(theme.styles[s.tok])}>
                  {s.text}
                </Text>
              ) : (
                s.text
              ),
            )}
          </Text>
        );
      })}
    </>
  );
}

const specs = (): LineSpec[] => [
  line(seg('── ', 'muted'), seg('GATES', 'focusTitle'), seg(' 3: ', 'muted'), seg('1 failing', 'failing'), seg(', ', 'muted'), seg('2 ok', 'ok')),
  { ...line(seg('▶ ', 'accent'), seg('✗ ', 'failing'), seg('failing ', 'failing'), seg('error-rate  ', 'title'), seg('ROLLBACK', 'rollback'), seg(' 15.2% > 2% for 2m9s')), row: 'selected' },
  line(seg('  '), seg('✓ ', 'ok'), seg('ok      ', 'ok'), seg('latency  ', 'text'), seg('61.2ms', 'ok'), seg(' a reason much longer than the panel is wide', 'muted')),
  line(),
  line(seg('caution: within the warn band', 'warn'), seg(' badge', 'badge')),
];

async function frame(el: React.ReactElement, columns: number, rows: number) {
  const r = renderSized(el, { columns, rows });
  open.push(r);
  await waitForFrame();
  return r.lastFrame();
}

describe('Lines', () => {
  for (const noColor of [false, true])
    it(`draws the same bytes as one <Text> per segment (${noColor ? 'no colour' : 'colour'})`, async () => {
      const theme = makeTheme({ noColor, ascii: false });
      const width = 40;
      const got = await frame(
        <ThemeProvider theme={theme}>
          <Lines lines={specs()} width={width} height={specs().length} />
        </ThemeProvider>,
        60,
        10,
      );
      const want = await frame(<NestedLines lines={specs()} width={width} theme={theme} />, 60, 10);
      expect(got).toContain('\u001b[');
      expect(got).toBe(want);
      // Muted text is dim (SGR 2) in both themes: under NO_COLOR dim is one of the three emphases left.
      if (noColor) expect(got).toContain('\u001b[2m── \u001b[22m');
    });

  it('re-renders only the rows whose own text changed', async () => {
    const theme = makeTheme({ noColor: false, ascii: false });
    const rows = (v: string) => [line(seg('title', 'title')), line(seg('gate a '), seg(v, 'ok')), line(seg('gate b '), seg('2', 'ok'))];
    const el = (v: string) => (
      <ThemeProvider theme={theme}>
        <Lines lines={rows(v)} width={30} height={4} />
      </ThemeProvider>
    );
    const r = renderSized(el('1'), { columns: 40, rows: 10 });
    open.push(r);
    await waitForFrame();
    const before = new Map(drawn);
    expect([...before.values()].every((n) => n === 1)).toBe(true);
    r.rerender(el('7'));
    await waitForFrame();
    const again = [...drawn].filter(([text, n]) => n > (before.get(text) ?? 0)).map(([text]) => text);
    expect(again).toHaveLength(1);
    expect(again[0]).toContain('7');
    expect(r.lastFrame()).toContain('gate a');
  });

  it("draws through the row cache on Ink's own Output, redrawing only the changed row", async () => {
    const theme = makeTheme({ noColor: false, ascii: false });
    const rows = (v: string) => Array.from({ length: 8 }, (_, i) => line(seg(`row ${i} `), seg(i === 3 ? v : 'same', 'ok')));
    let set: (v: string) => void = () => {};
    // A state update inside the tree, as the live cockpit makes its frames.
    function Driver() {
      const [v, setV] = React.useState('a');
      set = setV;
      return (
        <ThemeProvider theme={theme}>
          <Lines lines={rows(v)} width={30} height={8} />
        </ThemeProvider>
      );
    }
    const r = renderSized(<Driver />, { columns: 40, rows: 12 });
    open.push(r);
    await waitForFrame();
    const s0 = { ...outputStageStats };
    set('b');
    await waitForFrame();
    expect(outputStageStats.frames).toBeGreaterThan(s0.frames);
    expect(outputStageStats.rowsDrawn - s0.rowsDrawn).toBe(1);
    expect(stripAnsi(r.lastFrame())).toContain('row 3 b');
    // The changed row is drawn with the widths and styled characters measured before, not a fresh Output's empty caches.
    const caches = outputCachesInUse();
    expect(caches && caches.widths.size + caches.styledChars.size).toBeGreaterThan(0);
    set('c');
    await waitForFrame();
    expect(stripAnsi(r.lastFrame())).toContain('row 3 c');
    expect(outputCachesInUse()).toBe(caches);
    set('b');
    await waitForFrame();
    const fresh = renderSized(
      <ThemeProvider theme={theme}>
        <Lines lines={rows('b')} width={30} height={8} />
      </ThemeProvider>,
      { columns: 40, rows: 12 },
    );
    open.push(fresh);
    await waitForFrame();
    expect(r.lastFrame()).toBe(fresh.lastFrame());
  });
});

describe('fitSegments', () => {
  /** fitSegments as it was before its loops were rewritten (reduce, for-of, a closure per call): the reference. */
  function fitSegmentsBefore(segs: readonly Seg[], width: number, ellipsis: string): Seg[] {
    const total = segs.reduce((n, s) => n + textWidth(s.text), 0);
    const cut = total > width;
    const e = cut && textWidth(ellipsis) < width ? ellipsis : '';
    let left = width - textWidth(e);
    const out: Seg[] = [];
    const push = (text: string, tok: Token | undefined) => {
      if (text === '') return;
      const prev = out[out.length - 1];
      if (prev && prev.tok === tok) prev.text += text;
      else out.push(tok ? { text, tok } : { text });
    };
    let lastTok: Token | undefined;
    for (const s of segs) {
      if (left <= 0) break;
      const text = firstColumns(s.text, left);
      left -= textWidth(text);
      push(text, s.tok);
      lastTok = s.tok;
      if (text.length < s.text.length) break;
    }
    push(e, lastTok);
    return out;
  }

  it('cuts and merges exactly as before on 20,000 random rows: wide, combining, zero-width and empty segments, at every width', () => {
    const rnd = mulberry32(14);
    const pieces = ['a', 'bc', 'error-rate ', '节点', '👍', 'e\u0301', '\u200b', '', ' ', '…', '15.2% > 2%', '⟳'];
    const toks: Array<Token | undefined> = [undefined, 'muted', 'ok', 'failing'];
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    for (let i = 0; i < 20_000; i++) {
      const segs: Seg[] = Array.from({ length: Math.floor(rnd() * 6) }, () => {
        const text = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(pieces)).join('');
        const tok = pick(toks);
        return tok ? { text, tok } : { text };
      });
      const width = Math.floor(rnd() * 30);
      const ellipsis = pick(['…', '...', '']);
      expect(fitSegments(segs, width, ellipsis), JSON.stringify({ segs, width, ellipsis })).toEqual(fitSegmentsBefore(segs, width, ellipsis));
    }
  });
});
