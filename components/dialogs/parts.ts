/** The lines dialogs are drawn from: title, wrapped text, fields, checkboxes, buttons. One row each, themed, ASCII-safe. */
import { firstCodePoints, firstColumns, lastColumns, sanitize, textWidth } from '../format.js';
import { line, seg, type LineSpec, type Seg } from '../Line.js';
import type { Theme, Token } from '../theme.js';
import { fixed, section, type Section } from './fit.js';

/** Words of `text` in lines of at most `width` columns (a longer word is split), at most `maxLines` (the last ends with the ellipsis when cut). */
export function wrapWords(text: string, width: number, maxLines = Infinity, ellipsis = '…'): string[] {
  if (width <= 0) return [];
  const out: string[] = [];
  let cur = '';
  const push = () => {
    out.push(cur);
    cur = '';
  };
  for (const word of sanitize(text).split(' ')) {
    let w = word;
    while (textWidth(w) > width) {
      if (cur) push();
      // At least one character, so a character wider than the line still moves on.
      const head = firstColumns(w, width) || firstCodePoints(w, 1);
      out.push(head);
      w = w.slice(head.length);
    }
    if (!w) continue;
    if (cur && textWidth(cur) + 1 + textWidth(w) > width) push();
    cur = cur ? `${cur} ${w}` : w;
  }
  if (cur || out.length === 0) push();
  if (out.length <= maxLines) return out;
  const kept = out.slice(0, Math.max(0, maxLines));
  if (kept.length) {
    const last = kept[kept.length - 1]!;
    kept[kept.length - 1] = firstColumns(last, width - textWidth(ellipsis)) + ellipsis;
  }
  return kept;
}

/** `text` wrapped to `width` as one group of lines, the first after `lead`, the rest indented as deep. */
export function wrapped(text: string, width: number, tok: Token, opts: { lead?: Seg[]; maxLines?: number; ellipsis?: string } = {}): LineSpec[] {
  const lead = opts.lead ?? [];
  const indent = lead.reduce((n, s) => n + textWidth(s.text), 0);
  const lines = wrapWords(text, Math.max(8, width - indent), opts.maxLines, opts.ellipsis);
  return lines.map((l, i) => line(...(i === 0 ? lead : [seg(' '.repeat(indent))]), seg(l, tok)));
}

/** The dialog's first line: "── NAME  summary…  right". */
export function titleLine(theme: Theme, name: string, tok: Token, summary: Seg[], right?: string): LineSpec {
  const r = theme.glyphs.rule;
  return line(seg(`${r}${r} `, 'muted'), seg(name, tok), seg(' '), ...summary, right ? seg(`  ${right}`, 'muted') : undefined);
}

export const badge = (text: string): Seg => seg(` ${text} `, 'badge');

/** Two columns before every focusable line: the cursor when it has the focus. */
export function gutter(theme: Theme, focused: boolean): Seg {
  return focused ? seg(`${theme.glyphs.cursor} `, 'accent') : seg('  ');
}

export interface FieldSpec {
  label: string;
  value: string;
  focused: boolean;
  placeholder?: string;
  /** After the box: a counter, a check mark. */
  suffix?: Seg[];
}

/**
 * "▶ label [text_      ] suffix" in `width` columns. The box shows the end of
 * a long value (what is being typed), with the ellipsis in front.
 */
export function fieldLine(theme: Theme, f: FieldSpec, width: number): LineSpec {
  const suffix = f.suffix ?? [];
  const suffixW = suffix.reduce((n, s) => n + textWidth(s.text), 0) + (suffix.length ? 1 : 0);
  const head = `${f.label} `;
  const inner = Math.max(8, width - 2 - textWidth(head) - 2 - suffixW);
  const cursor = f.focused ? '_' : '';
  const room = inner - textWidth(cursor);
  let shown = f.value;
  if (textWidth(shown) > room) shown = theme.glyphs.ellipsis + lastColumns(shown, room - textWidth(theme.glyphs.ellipsis));
  const body: Seg[] = [];
  if (!f.value && f.placeholder && !f.focused) body.push(seg(f.placeholder.slice(0, inner), 'muted'));
  else body.push(seg(shown, 'title'), seg(cursor, 'accent'));
  const used = body.reduce((n, s) => n + textWidth(s.text), 0);
  return line(
    gutter(theme, f.focused),
    seg(head, f.focused ? 'accent' : 'text'),
    seg('[', 'muted'),
    ...body,
    seg(' '.repeat(Math.max(0, inner - used))),
    seg(']', 'muted'),
    suffix.length ? seg(' ') : undefined,
    ...suffix,
  );
}

export function checkLine(theme: Theme, label: string, checked: boolean, focused: boolean, note?: string): LineSpec {
  return line(gutter(theme, focused), seg(checked ? '[x] ' : '[ ] ', focused ? 'accent' : 'text'), seg(sanitize(label), checked ? 'title' : 'text'), note ? seg(`  ${note}`, 'muted') : undefined);
}

export interface ButtonSpec {
  id: string;
  label: string;
  focused: boolean;
  enabled: boolean;
  /** Drawn in the danger colour when enabled (promote over a blocker, roll back, quit). */
  danger?: boolean;
}

/** "  [ Cancel ]  ▶[ Promote ]  note": the focused button inverse with the cursor before it; disabled ones dim. */
export function buttonsLine(theme: Theme, buttons: readonly ButtonSpec[], note?: Seg[]): LineSpec {
  const segs: Seg[] = [seg('  ')];
  for (const b of buttons) {
    segs.push(b.focused ? seg(theme.glyphs.cursor, 'accent') : seg(' '.repeat(textWidth(theme.glyphs.cursor))));
    const tok: Token = !b.enabled ? 'off' : b.focused ? 'selected' : b.danger ? 'danger' : 'text';
    segs.push(seg(`[ ${b.label} ]`, tok), seg('  '));
  }
  return line(...segs, ...(note ?? []));
}

/** The line under the buttons: why the last press did nothing, or how to go on. */
export function statusLine(error: string | null, hint: string): LineSpec {
  return error ? line(seg('  '), seg(error, 'danger')) : line(seg('  '), seg(hint, 'muted'));
}

/** "will run (N steps):" and one group a command (wrapped over up to 3 rows); at least the header and 2 rows when they fit. */
export function commandSections(theme: Theme, commands: readonly string[], width: number, priority: number, kind: string): Section[] {
  const n = commands.length;
  if (n === 0) return [fixed(priority, line(seg(`  no commands in the plan for this ${kind}`, 'warn')))];
  return [
    section(priority, 1, [line(seg(`will run (${n} step${n === 1 ? '' : 's'}):`, 'muted'))]),
    section(priority, 2, ...commands.map((c) => wrapped(c, width, 'text', { lead: [seg('  $ ', 'muted')], maxLines: 3, ellipsis: theme.glyphs.ellipsis }))),
  ];
}
