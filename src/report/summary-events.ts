/** The recorded event stream, folded into the report's alerts, actions, notifications and node outages. */
import type { EngineEvent } from '../engine/types.js';
import { parseSpan } from './format.js';
import type { ActionReport, AlertReport, NodeReport, NotificationSummary, StepReport } from './model.js';

const TAIL_LINES = 8;

type Ev<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

export function alertsOf(events: EngineEvent[], windowEnd: number): AlertReport[] {
  const open = new Map<string, AlertReport>();
  const out: AlertReport[] = [];
  for (const e of events) {
    if (e.type === 'alert.firing') {
      const key = `${e.source}:${e.name}`;
      if (open.has(key)) continue; // still firing: the same alert, said again
      const a: AlertReport = { name: e.name, source: e.source, severity: e.severity, summary: e.summary, firedAt: e.at, durationMs: 0 };
      open.set(key, a);
      out.push(a);
    } else if (e.type === 'alert.resolved') {
      const key = `${e.source}:${e.name}`;
      const a = open.get(key);
      if (!a) continue;
      a.resolvedAt = e.at;
      open.delete(key);
    }
  }
  for (const a of out) a.durationMs = (a.resolvedAt ?? windowEnd) - a.firedAt;
  return out;
}

interface OutputLine {
  step: string;
  stream: Ev<'action.output'>['stream'];
  text: string;
}

export function actionsOf(events: EngineEvent[]): ActionReport[] {
  const out: ActionReport[] = [];
  const open: Array<{ report: ActionReport; lines: OutputLine[] }> = [];
  for (const e of events) {
    if (e.type === 'action.started') {
      const report: ActionReport = {
        action: e.action,
        stageId: e.stageId,
        operator: e.operator,
        auto: e.auto,
        dryRun: e.dryRun,
        startedAt: e.at,
        result: 'unfinished',
        steps: [],
        outputLines: 0,
      };
      if (e.reason !== undefined) report.reason = e.reason;
      if (e.override) report.override = e.override;
      out.push(report);
      open.push({ report, lines: [] });
    } else if (e.type === 'action.output') {
      const a = findOpen(open, e.action);
      if (!a) continue;
      a.lines.push({ step: e.step, stream: e.stream, text: e.text });
      a.report.outputLines++;
    } else if (e.type === 'action.finished') {
      const a = findOpen(open, e.action, e.stageId);
      if (!a) continue;
      open.splice(open.indexOf(a), 1);
      const r = a.report;
      r.finishedAt = e.at;
      r.durationMs = e.durationMs;
      r.ok = e.ok;
      r.summary = e.summary;
      r.result = `${r.dryRun ? 'dry run ' : ''}${e.outcome ?? (e.ok ? 'ok' : 'failed')}`;
      r.steps = e.steps.map((s) => stepReport(s, a.lines));
    }
  }
  return out;
}

function findOpen<T extends { report: ActionReport }>(open: T[], action: string, stageId?: string): T | undefined {
  for (let i = open.length - 1; i >= 0; i--) {
    const a = open[i]!;
    if (a.report.action === action && (stageId === undefined || a.report.stageId === stageId)) return a;
  }
  return undefined;
}

/** A step with its duration: recorded with the step when the session gives it, else read from the runner's "step ok (12s)" line. */
function stepReport(s: Ev<'action.finished'>['steps'][number], lines: OutputLine[]): StepReport {
  const own = lines.filter((l) => l.step === s.name);
  const r: StepReport = { name: s.name, status: s.status, tail: own.slice(-TAIL_LINES).map((l) => l.text) };
  if (s.exitCode !== undefined) r.exitCode = s.exitCode;
  const recorded = (s as { durationMs?: unknown }).durationMs;
  if (typeof recorded === 'number' && Number.isFinite(recorded)) {
    r.durationMs = recorded;
  } else {
    for (const l of own) {
      const m = l.stream === 'flightdeck' ? /^step [^()]*\(([^()]+)\)$/.exec(l.text) : null;
      const d = m ? parseSpan(m[1]!) : undefined;
      if (d !== undefined) r.durationMs = d;
    }
  }
  return r;
}

export function notificationsOf(events: EngineEvent[]): NotificationSummary {
  const s: NotificationSummary = { delivered: 0, failed: 0, fallback: 0, retries: 0, channels: [], failures: [] };
  const byChannel = new Map<string, NotificationSummary['channels'][number]>();
  for (const e of events) {
    if (e.type !== 'notify.delivery') continue;
    let c = byChannel.get(e.channel);
    if (!c) {
      byChannel.set(e.channel, (c = { channel: e.channel, delivered: 0, failed: 0, fallback: 0, retries: 0 }));
      s.channels.push(c);
    }
    switch (e.outcome) {
      case 'delivered':
        s.delivered++;
        c.delivered++;
        break;
      case 'retry':
        s.retries++;
        c.retries++;
        break;
      case 'failed':
      case 'fallback':
        s[e.outcome]++;
        c[e.outcome]++;
        s.failures.push({ at: e.at, channel: e.channel, outcome: e.outcome, attempt: e.attempt, ...(e.error !== undefined ? { error: e.error } : {}) });
        break;
    }
  }
  return s;
}

export function nodesOf(events: EngineEvent[], windowEnd: number): NodeReport {
  const report: NodeReport = { events: [], outages: [] };
  const downSince = new Map<string, number>();
  const outages = new Map<string, NodeReport['outages'][number]>();
  for (const e of events) {
    if (e.type === 'node.down') {
      report.events.push({ at: e.at, node: e.node, kind: 'down', reason: e.reason });
      if (!downSince.has(e.node)) downSince.set(e.node, e.at);
      let o = outages.get(e.node);
      if (!o) outages.set(e.node, (o = { node: e.node, downs: 0, downMs: 0, downAtEnd: false }));
      o.downs++;
    } else if (e.type === 'node.up') {
      report.events.push({ at: e.at, node: e.node, kind: 'up' });
      const since = downSince.get(e.node);
      if (since !== undefined) {
        outages.get(e.node)!.downMs += e.at - since;
        downSince.delete(e.node);
      }
    }
  }
  for (const [node, since] of downSince) {
    const o = outages.get(node)!;
    o.downMs += windowEnd - since;
    o.downAtEnd = true;
  }
  report.outages = [...outages.values()];
  return report;
}
