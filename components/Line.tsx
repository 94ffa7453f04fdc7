/**
 * The cockpit draws line by line: every panel produces LineSpecs, and these
 * views render exactly one terminal row per line, cut to the width (never
 * wrapped), so the frame's height is known before Ink lays it out.
 */
import React from 'react';
import { Box, Text } from 'ink';
import chalk, { foregroundColorNames, type ForegroundColorName } from 'chalk';
import { firstColumns, textWidth } from './format.js';
import type { Style, Theme, Token } from './theme.js';
import { useTheme } from './ThemeContext.js';
// Ink's output stage, cached row by row (installs itself once).
import './ink-output.js';

export interface Seg {
  text: string;
  tok?: Token;
}

export interface LineSpec {
  segs: Seg[];
  /** A style for the whole row (selected row, failing rollback gate). */
  row?: Token;
}

export const seg = (text: string, tok?: Token): Seg => (tok ? { text, tok } : { text });
export function line(...parts: Array<Seg | string | false | null | undefined>): LineSpec {
  const segs: Seg[] = [];
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i];
    if (s) segs.push(typeof s === 'string' ? { text: s } : s);
  }
  return { segs };
}
export const blank = (): LineSpec => ({ segs: [] });

/** Cuts the segments to `width` columns (ending with `ellipsis` when cut) and merges neighbours of the same token. */
export function fitSegments(segs: readonly Seg[], width: number, ellipsis: string): Seg[] {
  // (Index loops and no closures: this runs for every row shown, at every frame that re-renders its panel.)
  let total = 0;
  for (let i = 0; i < segs.length; i++) total += textWidth(segs[i]!.text);
  const out: Seg[] = [];
  // Room to spare: every segment whole (the cut below would take each whole, as `left` never reaches 0).
  if (total < width) {
    for (let i = 0; i < segs.length; i++) pushMerged(out, segs[i]!.text, segs[i]!.tok);
    return out;
  }
  const e = total > width && textWidth(ellipsis) < width ? ellipsis : '';
  let left = width - textWidth(e);
  let lastTok: Token | undefined;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (left <= 0) break;
    const text = firstColumns(s.text, left);
    left -= textWidth(text);
    pushMerged(out, text, s.tok);
    lastTok = s.tok;
    // Cut here (a wide character that did not fit may leave a column): nothing after it.
    if (text.length < s.text.length) break;
  }
  pushMerged(out, e, lastTok);
  return out;
}

/** Appends `text` to `out`, joined to the last segment when it has the same token. */
function pushMerged(out: Seg[], text: string, tok: Token | undefined): void {
  if (text === '') return;
  const prev = out[out.length - 1];
  if (prev && prev.tok === tok) prev.text += text;
  else out.push(tok ? { text, tok } : { text });
}

/** A style as the props of Ink's <Text> (whose dim is `dimColor`). */
export function styleProps(style: Style | undefined): { color?: string; bold?: boolean; dimColor?: boolean; inverse?: boolean } {
  if (!style) return {};
  const p: { color?: string; bold?: boolean; dimColor?: boolean; inverse?: boolean } = {};
  if (style.color) p.color = style.color;
  if (style.bold) p.bold = true;
  if (style.dim) p.dimColor = true;
  if (style.inverse) p.inverse = true;
  return p;
}

/**
 * `text` styled the way Ink's <Text dimColor color bold inverse> styles its
 * children (the same chalk calls in the same order), so a row drawn as one
 * string is byte for byte what nested <Text>s drew.
 */
export function styleText(text: string, style: Style | undefined): string {
  if (!style || text === '') return text;
  let out = text;
  if (style.dim) out = chalk.dim(out);
  if (style.color) out = colorize(out, style.color);
  if (style.bold) out = chalk.bold(out);
  if (style.inverse) out = chalk.inverse(out);
  return out;
}

function colorize(text: string, color: string): string {
  if ((foregroundColorNames as readonly string[]).includes(color)) return chalk[color as ForegroundColorName](text);
  if (color.startsWith('#')) return chalk.hex(color)(text);
  return text;
}

/** The row's segments cut to `width` and styled, as one string (what one <Text> draws). */
export function composeLine(spec: LineSpec, width: number, theme: Theme): string {
  const segs = fitSegments(spec.segs, width, theme.glyphs.ellipsis);
  let out = '';
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    out += s.tok ? styleText(s.text, theme.styles[s.tok]) : s.text;
  }
  return out;
}

/**
 * One terminal row: one <Text> holding the pre-styled string. Memoised on
 * (text, row style, theme): a row whose own text did not change is not
 * re-rendered by React and its Ink node (and Yoga's measurement) is left alone.
 */
const Row = React.memo(function Row({ text, row, theme }: { text: string; row: Token | undefined; theme: Theme }) {
  if (text === '') return <Text> </Text>;
  const rowStyle = row ? styleProps(theme.styles[row]) : {};
  return (
    <Text wrap="truncate" {...rowStyle}>
      {text}
    </Text>
  );
});

export function LineView({ spec, width, theme }: { spec: LineSpec; width: number; theme: Theme }) {
  return <Row text={composeLine(spec, width, theme)} row={spec.row} theme={theme} />;
}

/** Exactly `height` rows of `width` columns: extra lines are dropped, missing ones are blank. */
export function Lines({ lines, width, height }: { lines: readonly LineSpec[]; width: number; height: number }) {
  const theme = useTheme();
  if (height <= 0) return null;
  const rows: React.ReactNode[] = [];
  for (let i = 0; i < height; i++) {
    const spec = lines[i];
    rows.push(<Row key={i} text={spec ? composeLine(spec, width, theme) : ''} row={spec?.row} theme={theme} />);
  }
  return (
    <Box flexDirection="column" width={width} height={height} flexShrink={0} overflow="hidden">
      {rows}
    </Box>
  );
}
