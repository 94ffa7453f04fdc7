/** Node detail (Enter on a node): its probe, breaker, Retry-After and the fields of its health JSON. */
import React from 'react';
import { redact } from '../src/audit/redact.js';
import type { NodeStatus } from '../src/sources/types.js';
import { formatAge, formatClock, formatLatency, formatRemaining, sanitize } from './format.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import { nodeReason } from './NodesPanel.js';
import { panelTitle } from './PanelTitle.js';
import type { Theme } from './theme.js';
import { useTheme } from './ThemeContext.js';

export interface NodeDetailProps {
  name: string;
  node: NodeStatus | undefined;
  width: number;
  height: number;
  scroll: number;
  now: number;
  utc?: boolean;
}

/**
 * "a.b.c = value" for every leaf of a JSON body (arrays by index), at most `limit`. A body is the
 * service's, not ours: a string under a secret-looking key (password, token, api_key…) is masked,
 * and URL credentials (redis://:pw@cache) are stripped, as the recordings and the audit have them.
 */
export function flattenBody(body: unknown, limit = 500): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  // A node that never answered with a body: no field ("no JSON body"), not "(body) undefined".
  if (body === undefined) return out;
  const walk = (v: unknown, path: string, depth: number) => {
    if (out.length >= limit) return;
    if (v !== null && typeof v === 'object' && depth < 6) {
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) out.push([path || '(body)', Array.isArray(v) ? '[]' : '{}']);
      for (const [k, x] of entries) walk(x, path ? `${path}.${k}` : k, depth + 1);
      return;
    }
    out.push([path || '(body)', typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)]);
  };
  walk(redact(body), '', 0);
  return out;
}

const label = (t: string): Seg => seg(t.padEnd(9, ' '), 'muted');

export function nodeDetailLines(p: NodeDetailProps, theme: Theme): LineSpec[] {
  const n = p.node;
  const dot = seg(theme.glyphs.dot, 'muted');
  if (!n) return [panelTitle(theme, `NODE ${p.name}`, true, [seg('no longer in the fleet', 'muted')], 'Esc back')];
  const out: LineSpec[] = [panelTitle(theme, `NODE ${sanitize(n.name)}`, true, [seg(sanitize(n.url), 'accent')], 'Esc back')];
  const up = n.up === true ? seg('up', 'ok') : n.up === false ? seg('down', 'failing') : seg('not probed yet', 'noData');
  const status: Seg[] = [label('status'), up, dot, seg(`${n.consecutiveFailures} consecutive failure${n.consecutiveFailures === 1 ? '' : 's'}`, n.consecutiveFailures ? 'warn' : 'muted'), dot, seg(`breaker ${n.breaker}`, n.breaker === 'open' ? 'failing' : n.breaker === 'half-open' ? 'warn' : 'muted')];
  if (n.retryAt !== undefined && n.retryAt > p.now) status.push(dot, seg(`next probe in ${formatRemaining(n.retryAt - p.now)}`, 'warn'));
  out.push(line(...status));
  const last = n.last;
  if (last) {
    const probe: Seg[] = [label('probe'), seg(`${formatClock(last.at, p.utc)} `, 'text')];
    if (!last.sent) probe.push(seg('not sent (breaker open or Retry-After)', 'warn'));
    else {
      probe.push(seg(last.status !== undefined ? `HTTP ${last.status}` : 'no answer', last.ok ? 'ok' : 'failing'), seg(` ${formatLatency(last.latencyMs)}`, 'muted'));
      if (last.errorCode) probe.push(dot, seg(sanitize(last.errorCode), 'failing'));
      if (last.error) probe.push(dot, seg(sanitize(last.error), 'error'));
    }
    out.push(line(...probe));
  }
  out.push(line(label('last ok'), n.lastOkAt !== undefined ? seg(`${formatClock(n.lastOkAt, p.utc)} (${formatAge(p.now - n.lastOkAt)} ago)`, 'text') : seg('never', 'warn')));
  const reason = nodeReason(n);
  if (reason) out.push(line(label('reason'), seg(reason, n.up ? 'warn' : 'failing')));
  // The latest answer's body (a 503's says why); else the last body a 2xx answer sent, said to be older:
  // a down node's last healthy body is not its state now.
  const older = last?.body === undefined && n.lastBody !== undefined;
  const fields = flattenBody(older ? n.lastBody : last?.body);
  const rows = Math.max(0, p.height - out.length - 1);
  const start = Math.min(Math.max(0, p.scroll), Math.max(0, fields.length - rows));
  const about: Seg[] = [seg(fields.length ? `${fields.length} fields` : 'no JSON body', 'muted')];
  if (older) about.push(dot, seg('from an earlier answer: the last probe had none', 'warn'));
  out.push(panelTitle(theme, 'HEALTH BODY', false, about, start > 0 ? `${start} above` : ''));
  const keyW = Math.min(48, Math.max(10, fields.reduce((m, [k]) => Math.max(m, k.length + 2), 0)));
  for (const [k, v] of fields.slice(start, start + rows)) out.push(line(seg(sanitize(k).padEnd(keyW, ' '), 'muted'), seg(sanitize(v), 'text')));
  return out;
}

export function NodeDetail(p: NodeDetailProps) {
  const theme = useTheme();
  return <Lines lines={nodeDetailLines(p, theme)} width={p.width} height={p.height} />;
}
