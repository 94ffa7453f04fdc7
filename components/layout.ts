/**
 * Row budgets. The frame is exactly `rows - 1` lines (Ink clears the whole
 * screen when a frame is as tall as the terminal) and `columns - 1` wide (a
 * full-width line leaves the cursor in the pending-wrap column, where erase-
 * line eats the last character). Panels get rows by priority; every list is
 * cut and scrolled to what it got.
 */
export const MIN_COLUMNS = 60;
export const MIN_ROWS = 16;
/** From this width the body is two columns. */
export const WIDE_COLUMNS = 140;

export type PanelId = 'gates' | 'nodes' | 'alerts' | 'log';
export const PANEL_ORDER: readonly PanelId[] = ['gates', 'nodes', 'alerts', 'log'];

export interface Size {
  columns: number;
  rows: number;
}

export interface ColumnLayout {
  width: number;
  panels: Array<{ id: PanelId; height: number }>;
}

export interface FrameLayout {
  tooSmall: boolean;
  /** Frame width and height (columns - 1, rows - 1). */
  width: number;
  height: number;
  header: number;
  stage: number;
  footer: number;
  /** Rows between the stage pipeline and the footer. */
  body: number;
  wide: boolean;
  columns: ColumnLayout[];
}

/** Rows each panel would use if it had room (title line included). */
export type Wants = Record<PanelId, number>;

type Step = [PanelId, number];

/**
 * Gives every panel its title line (in `order`, while rows last), then rows
 * step by step: each step raises a panel to at most `cap` content rows and at
 * most what it wants. Rows left over go to the last panel (blank filler).
 */
export function allocate(total: number, wants: Partial<Wants>, order: readonly PanelId[], steps: readonly Step[]): Map<PanelId, number> {
  const h = new Map<PanelId, number>();
  let left = Math.max(0, total);
  for (const id of order) {
    if (left <= 0) break;
    h.set(id, 1);
    left--;
  }
  for (const [id, cap] of steps) {
    if (left <= 0) break;
    const cur = h.get(id);
    if (cur === undefined) continue;
    const want = Math.max(0, (wants[id] ?? 1) - 1);
    const add = Math.max(0, Math.min(cap - (cur - 1), want - (cur - 1), left));
    h.set(id, cur + add);
    left -= add;
  }
  if (left > 0 && h.size > 0) {
    const last = [...h.keys()].pop()!;
    h.set(last, h.get(last)! + left);
  }
  return h;
}

export function computeLayout(size: Size, opts: { headerLines: number; wants: Wants }): FrameLayout {
  const width = Math.max(0, size.columns - 1);
  const height = Math.max(0, size.rows - 1);
  const tooSmall = size.columns < MIN_COLUMNS || size.rows < MIN_ROWS;
  const header = opts.headerLines;
  const stage = 2;
  const footer = 1;
  const body = Math.max(0, height - header - stage - footer);
  const wide = size.columns >= WIDE_COLUMNS;
  const { wants } = opts;
  let columns: ColumnLayout[];
  if (tooSmall) {
    columns = [];
  } else if (wide) {
    const leftW = Math.floor((width - 1) * 0.6);
    const rightW = width - 1 - leftW;
    const left = allocate(body, wants, ['gates', 'alerts'], [
      ['gates', 10],
      ['alerts', 3],
      ['gates', Infinity],
      ['alerts', Infinity],
    ]);
    const right = allocate(body, wants, ['nodes', 'log'], [
      ['nodes', 8],
      ['log', 6],
      ['nodes', Math.floor(body * 0.55)],
      ['log', Infinity],
      ['nodes', Infinity],
    ]);
    columns = [
      { width: leftW, panels: [...left].map(([id, h]) => ({ id, height: h })) },
      { width: rightW, panels: [...right].map(([id, h]) => ({ id, height: h })) },
    ];
  } else {
    const one = allocate(body, wants, PANEL_ORDER, [
      ['gates', 6],
      ['nodes', 3],
      ['log', 2],
      ['alerts', 2],
      ['gates', Infinity],
      ['nodes', 8],
      ['alerts', 4],
      ['log', 6],
      ['nodes', Infinity],
      ['log', Infinity],
      ['alerts', Infinity],
    ]);
    columns = [{ width, panels: PANEL_ORDER.filter((id) => one.has(id)).map((id) => ({ id, height: one.get(id)! })) }];
  }
  return { tooSmall, width, height, header, stage, footer, body, wide, columns };
}

/** Content rows a panel got (its height less the title line). */
export function panelRows(layout: FrameLayout, id: PanelId): number {
  for (const c of layout.columns) for (const p of c.panels) if (p.id === id) return Math.max(0, p.height - 1);
  return 0;
}

export function panelVisible(layout: FrameLayout, id: PanelId): boolean {
  return layout.columns.some((c) => c.panels.some((p) => p.id === id));
}

/** First row of a `height`-row window over `len` rows that shows `selected` (when >= 0), starting near `top`. */
export function windowStart(len: number, height: number, top: number, selected: number): number {
  if (height <= 0 || len <= height) return 0;
  let t = Math.min(Math.max(0, top), len - height);
  if (selected >= 0) {
    if (selected < t) t = selected;
    else if (selected >= t + height) t = selected - height + 1;
  }
  return t;
}
