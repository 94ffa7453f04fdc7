/** Wording shared by the Markdown and HTML reports, so both say the same things. */
import type { ActionReport, GateReport, ReportModel, StageVisit, Verdict } from './model.js';
import { span } from './format.js';

export const VERDICT_TITLE: Record<Verdict, string> = {
  passed: 'Passed',
  'rolled back': 'Rolled back',
  failed: 'Failed',
  complete: 'Rollout complete',
  interrupted: 'Interrupted',
};

export function stageHow(v: StageVisit): string {
  return v.by === 'start' ? 'window start' : v.by;
}

export function stageLeft(v: StageVisit): string {
  if (v.leftBy) return v.leftBy;
  return v.rolledBackAt !== undefined ? 'stayed, rolled back' : 'still there';
}

export function actionTitle(a: ActionReport): string {
  return `${a.auto ? 'auto-' : ''}${a.action} of ${a.stageId}${a.dryRun ? ' (dry run)' : ''}`;
}

/** A step's exit code: "–" when it never ran, "none" when it ended without one (killed, timed out, HTTP). */
export function exitCodeText(code: number | null | undefined, status?: string): string {
  if (code === undefined || status === 'skipped') return '–';
  return code === null ? 'none' : String(code);
}

export function thresholdsText(g: GateReport): string {
  const parts: string[] = [];
  if (g.fail.length) parts.push(`fails if ${g.fail.join(' or ')}`);
  if (g.warn.length) parts.push(`warns if ${g.warn.join(' or ')}`);
  return parts.join('; ') || 'no threshold';
}

export function notificationLine(m: ReportModel): string {
  const n = m.notifications;
  if (n.channels.length === 0) return 'No notification deliveries were recorded.';
  return `${n.delivered} delivered, ${n.retries} retried, ${n.failed} failed, ${n.fallback} to the fallback file`;
}

export function windowLine(m: ReportModel): string {
  const w = m.window;
  const state = w.completed ? `completed (engine verdict: ${w.engineVerdict})` : 'not completed';
  return `${span(w.durationMs)} recorded of a ${span(w.plannedMs)} window, ${state}`;
}

/** Short label of a kind of gate. */
export const KIND_LABEL: Record<GateReport['kind'], string> = {
  query: 'PromQL',
  health: 'node health',
  healthField: 'health field',
  alert: 'Prometheus alert',
  command: 'command',
  evidence: 'evidence file',
  cardinality: 'label cardinality',
  manual: 'sign-off',
  compare: 'canary vs baseline',
  score: 'canary score',
};
