/**
 * A dialog's row budget. A dialog is sections of lines in display order;
 * each has a priority (0 first) and a least number of rows. Rows go first to
 * every section's least (by priority), then to the rest of each section (by
 * priority), so the title, the inputs and the buttons stay on screen at
 * 60x16 and long lists are cut with "+N more".
 */
import { line, seg, type LineSpec } from '../Line.js';

export interface Section {
  /** Groups of lines (one item: a blocker, a command wrapped over lines); cuts drop whole groups first. */
  groups: LineSpec[][];
  /** Lower is more important. */
  priority: number;
  /** Rows this section gets before any section gets more than its least (0: only when there is room). */
  min: number;
}

export const section = (priority: number, min: number, ...groups: LineSpec[][]): Section => ({ groups, priority, min });
/** One line that must be shown (title, field, buttons). */
export const fixed = (priority: number, l: LineSpec): Section => ({ groups: [[l]], priority, min: 1 });
/** A blank line shown only when there is room. */
export const spacer = (priority = 90): Section => ({ groups: [[{ segs: [] }]], priority, min: 0 });

const need = (s: Section) => s.groups.reduce((n, g) => n + g.length, 0);

/** Rows for each section (same order), at most `height` in all. */
export function allocateRows(sections: readonly Section[], height: number): number[] {
  const rows = sections.map(() => 0);
  let left = Math.max(0, height);
  const order = sections.map((s, i) => ({ s, i })).sort((a, b) => a.s.priority - b.s.priority || a.i - b.i);
  for (const { s, i } of order) {
    const add = Math.min(s.min, need(s), left);
    rows[i] = add;
    left -= add;
  }
  for (const { s, i } of order) {
    const add = Math.min(need(s) - rows[i]!, left);
    rows[i]! += add;
    left -= add;
  }
  return rows;
}

/**
 * A section's lines in `rows` rows: all of them when they fit; else the first
 * line of every group and then the rest of the groups in order; else the
 * first groups' first lines and a "+N more" line (in one row: the first line).
 */
export function cutSection(s: Section, rows: number): LineSpec[] {
  if (rows <= 0) return [];
  const all = s.groups.flat();
  if (all.length <= rows) return all;
  const groups = s.groups.filter((g) => g.length > 0);
  if (groups.length <= rows) {
    const take = groups.map(() => 1);
    let left = rows - groups.length;
    for (let i = 0; i < groups.length && left > 0; i++) {
      const add = Math.min(groups[i]!.length - 1, left);
      take[i]! += add;
      left -= add;
    }
    return groups.flatMap((g, i) => g.slice(0, take[i]));
  }
  if (rows === 1) return [groups[0]![0]!];
  const shown = groups.slice(0, rows - 1).map((g) => g[0]!);
  return [...shown, line(seg(`  +${groups.length - shown.length} more`, 'muted'))];
}

/** The lines of all sections cut to `height` rows, in display order. */
export function fitSections(sections: readonly Section[], height: number): LineSpec[] {
  const rows = allocateRows(sections, height);
  return sections.flatMap((s, i) => cutSection(s, rows[i]!));
}
