/** Nodes panel: a fleet summary line, then the nodes that need attention first, in a scrolling window. */
import React from 'react';
import type { NodeStatus } from '../src/sources/types.js';
import { cell, countsText, formatLatency, formatRemaining, sanitize, textWidth } from './format.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import { listWindow, panelTitle } from './PanelTitle.js';
import type { Theme, Token } from './theme.js';
import { memoOnClock } from './memo-clock.js';
import { useTheme } from './ThemeContext.js';

export interface NodesPanelProps {
  /** Every node of the plan (the fleet summary). */
  nodes: readonly NodeStatus[];
  /** The rows: nodeList(nodes, filter), which the cockpit keeps (its keys move over the same list). */
  list: readonly NodeStatus[];
  filter: string;
  editing: boolean;
  selectedName: string | undefined;
  top: number;
  width: number;
  height: number;
  focused: boolean;
  now: number;
}

/** 0 = down, 1 = breaker not closed, 2 = never probed, 3 = degraded, 4 = fine. */
function rank(n: NodeStatus): number {
  if (n.up === false) return 0;
  if (n.breaker !== 'closed') return 1;
  if (n.up === null) return 2;
  if (n.degradedReason) return 3;
  return 4;
}

export function nodeReason(n: NodeStatus): string {
  const r = n.degradedReason ?? n.last?.errorCode ?? n.last?.error ?? (n.up === null ? 'not probed yet' : '');
  return sanitize(r);
}

/** Nodes needing attention first (stable), then the filter (name, URL or reason, any case). */
export function nodeList(nodes: readonly NodeStatus[], filter: string): NodeStatus[] {
  const f = filter.trim().toLowerCase();
  // One list per rank, each in fleet order: a stable sort by rank, without a sort (this runs at every poll).
  const byRank: NodeStatus[][] = [[], [], [], [], []];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (!f || n.name.toLowerCase().includes(f) || n.url.toLowerCase().includes(f) || nodeReason(n).toLowerCase().includes(f)) byRank[rank(n)]!.push(n);
  }
  return byRank[4]!.length === nodes.length ? byRank[4]! : byRank[0]!.concat(byRank[1]!, byRank[2]!, byRank[3]!, byRank[4]!);
}

/** "412 nodes: 409 up, 2 down, 1 open breaker". */
export function fleetSummary(nodes: readonly NodeStatus[]): Seg[] {
  let up = 0;
  let down = 0;
  let unknown = 0;
  let open = 0;
  let half = 0;
  let degraded = 0;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.up === true) up++;
    else if (n.up === false) down++;
    else unknown++;
    if (n.breaker === 'open') open++;
    if (n.breaker === 'half-open') half++;
    if (n.degradedReason && n.up !== false) degraded++;
  }
  if (nodes.length === 0) return [seg('no nodes in the plan', 'muted')];
  const segs: Seg[] = [seg(`${nodes.length} node${nodes.length === 1 ? '' : 's'}: `, 'text'), seg(`${up} up`, 'ok')];
  const more: Array<[string, number, Token]> = [
    ['down', down, 'failing'],
    ['unknown', unknown, 'noData'],
    [open === 1 ? 'open breaker' : 'open breakers', open, 'failing'],
    ['half-open', half, 'warn'],
    ['degraded', degraded, 'warn'],
  ];
  for (const [word, n, tok] of more) if (n > 0) segs.push(seg(', ', 'muted'), seg(countsText([[word, n]]), tok));
  return segs;
}

function nodeRow(n: NodeStatus, o: { theme: Theme; nameW: number; cursor: boolean; now: number }): LineSpec {
  const g = o.theme.glyphs;
  const e = g.ellipsis;
  const stateTok: Token = n.up === true ? 'ok' : n.up === false ? 'failing' : 'noData';
  const glyph = n.up === true ? g.node.up : n.up === false ? g.node.down : g.node.unknown;
  const word = n.up === true ? 'up' : n.up === false ? 'down' : '?';
  const breakerTok: Token = n.breaker === 'open' ? 'failing' : n.breaker === 'half-open' ? 'warn' : 'muted';
  const wait = n.retryAt !== undefined && n.retryAt > o.now ? `retry ${formatRemaining(n.retryAt - o.now)}` : '';
  const reason = nodeReason(n);
  return line(
    o.cursor ? seg(`${g.cursor} `, 'accent') : seg('  '),
    seg(`${glyph} `, stateTok),
    seg(cell(sanitize(n.name), o.nameW - 1, 'left', e) + ' ', 'text'),
    seg(cell(word, 5) + ' ', stateTok),
    seg(cell(formatLatency(n.last?.latencyMs), 6, 'right') + '  ', 'muted'),
    seg(cell(n.breaker, 9) + ' ', breakerTok),
    seg(cell(wait, 11) + ' ', 'warn'),
    seg(reason, n.degradedReason && n.up ? 'warn' : stateTok === 'ok' ? 'muted' : stateTok),
  );
}

/** Columns a node's name shows in, remembered by name: sanitising 500 names took ~0.3 ms of every poll frame. */
const nameWidths = new Map<string, number>();
function nameWidth(name: string): number {
  let w = nameWidths.get(name);
  if (w === undefined) {
    if (nameWidths.size >= 10_000) nameWidths.clear();
    nameWidths.set(name, (w = textWidth(sanitize(name))));
  }
  return w;
}

export function nodesLines(p: NodesPanelProps, theme: Theme): LineSpec[] {
  const { list } = p;
  const rows = Math.max(0, p.height - 1);
  const { selIndex, start, shown, right } = listWindow(list, p.nodes.length, rows, { ...p, selected: p.selectedName, key: (n) => n.name });
  const out: LineSpec[] = [panelTitle(theme, 'NODES', p.focused, fleetSummary(p.nodes), right)];
  const longest = p.nodes.reduce((m, n) => Math.max(m, nameWidth(n.name)), 4);
  const nameW = Math.min(28, Math.max(8, longest + 2), Math.max(8, p.width - 50));
  shown.forEach((n, i) => {
    const sel = p.focused && start + i === selIndex;
    const l = nodeRow(n, { theme, nameW, cursor: sel, now: p.now });
    if (sel) l.row = 'selected';
    out.push(l);
  });
  if (rows > 0 && list.length === 0 && p.nodes.length > 0) out.push(line(seg('  no node matches the filter', 'muted')));
  return out;
}

/** What the panel draws from the clock: the nodes' "retry in" countdowns (each with its node's place; none for most nodes). */
export function nodesClockTexts(p: NodesPanelProps): string {
  let out = '';
  for (let i = 0; i < p.nodes.length; i++) {
    const at = p.nodes[i]!.retryAt;
    if (at !== undefined && at > p.now) out += `${i} ${formatRemaining(at - p.now)}\n`;
  }
  return out;
}

export const NodesPanel = memoOnClock(function NodesPanel(p: NodesPanelProps) {
  const theme = useTheme();
  return <Lines lines={nodesLines(p, theme)} width={p.width} height={p.height} />;
}, nodesClockTexts);
