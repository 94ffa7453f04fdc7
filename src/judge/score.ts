/**
 * A stage's canary score from its compare gates (Kayenta's weighted-sum
 * scorer, one group): the weight of the metrics that pass over the weight of
 * those with data, as 0–100. A critical metric that is not `pass` makes the
 * score 0; so does no data for half or more of the metrics: never a pass
 * on missing evidence.
 */
import type { Classification, ScoreDetail } from './types.js';

export interface ScoredMetric {
  gateId: string;
  /** null when the gate has not been judged yet (error, not evaluated). */
  classification: Classification | null;
  weight: number;
  critical: boolean;
}

export function scoreMetrics(metrics: ScoredMetric[], pass: number, marginal: number): ScoreDetail {
  const rows = metrics.map((m) => ({ ...m, classification: m.classification ?? ('no data' as const) }));
  const done = (score: number, reason: string): ScoreDetail => ({
    score,
    pass,
    marginal,
    verdict: score >= pass ? 'pass' : score >= marginal ? 'marginal' : 'fail',
    metrics: rows,
    reason,
  });
  if (rows.length === 0) return done(0, 'no compare gate to score');
  const critical = rows.filter((m) => m.critical && m.classification !== 'pass');
  if (critical.length) return done(0, `critical ${critical.map((m) => `${m.gateId} ${m.classification}`).join(', ')}`);
  const noData = rows.filter((m) => m.classification === 'no data');
  if (noData.length * 2 >= rows.length) return done(0, `${noData.length} of ${rows.length} metrics have no data (${noData.map((m) => m.gateId).join(', ')})`);
  const judged = rows.filter((m) => m.classification !== 'no data');
  const total = judged.reduce((s, m) => s + m.weight, 0);
  const passed = judged.filter((m) => m.classification === 'pass').reduce((s, m) => s + m.weight, 0);
  const score = total > 0 ? Math.round((passed / total) * 1000) / 10 : 0;
  const bad = judged.filter((m) => m.classification !== 'pass').map((m) => `${m.gateId} ${m.classification}`);
  const parts = [`${judged.length - bad.length}/${judged.length} metrics pass`];
  if (bad.length) parts.push(bad.join(', '));
  if (noData.length) parts.push(`no data: ${noData.map((m) => m.gateId).join(', ')}`);
  return done(score, parts.join('; '));
}
