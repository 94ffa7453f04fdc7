/**
 * The judge's decision as short labelled text lines, for any front end's
 * gate detail: the verdict with U, p, the Hodges–Lehmann estimate and its
 * interval, then each cohort as a histogram on shared bins and a box plot.
 */
import type { JudgeView } from '../engine/types.js';
import type { CohortSummary } from './types.js';

const BLOCKS = '▁▂▃▄▅▆▇█';
const ASCII = ' .:-=+*#';

export function judgeLines(judge: JudgeView | undefined, opts: { ascii?: boolean; format?: (v: number) => string } = {}): Array<{ label: string; text: string }> {
  if (!judge) return [];
  const f = opts.format ?? ((v: number) => String(Number(v.toPrecision(3))));
  if (judge.kind === 'score') {
    const d = judge.detail;
    return [{ label: 'score', text: `${d.score} (pass ${d.pass}, marginal ${d.marginal}) · ${d.verdict} · ${d.reason}` }];
  }
  const d = judge.detail;
  const stats: string[] = [d.classification];
  if (d.u !== undefined) stats.push(`U ${d.u}`);
  if (d.pValue !== undefined) stats.push(d.pValue < 0.001 ? 'p < 0.001' : `p ${d.pValue.toFixed(3)}`);
  if (d.estimate !== undefined) stats.push(`HL ${d.estimate >= 0 ? '+' : ''}${f(d.estimate)} [${f(d.lower!)}, ${f(d.upper!)}] ${Math.round(d.confidence * 100)}%`);
  if (d.ratio !== undefined && Number.isFinite(d.ratio)) stats.push(`effect ×${d.ratio.toFixed(3)} (allowed ×${d.allowedEffect}, ${d.direction})`);
  if (d.critical) stats.push('critical');
  return [{ label: 'judge', text: stats.join(' · ') }, cohortLine('canary', d.canary, opts.ascii, f), cohortLine('baseline', d.baseline, opts.ascii, f)];
}

function cohortLine(label: string, c: CohortSummary, ascii: boolean | undefined, f: (v: number) => string): { label: string; text: string } {
  const glyphs = ascii ? ASCII : BLOCKS;
  const top = Math.max(1, ...c.histogram);
  const hist = c.histogram.map((n) => (n === 0 ? ' ' : glyphs[Math.min(glyphs.length - 1, Math.ceil((n / top) * glyphs.length) - 1)]!)).join('');
  const box = c.n ? `${f(c.min!)} |${f(c.q1!)} ${f(c.median!)} ${f(c.q3!)}| ${f(c.max!)}` : 'no samples';
  const dropped = [c.outliers ? `${c.outliers} outliers` : '', c.nan ? `${c.nan} NaN` : ''].filter(Boolean).join(', ');
  const inf = c.infinite ? ` (${c.infinite} ±Inf beyond the finite samples)` : '';
  return { label, text: `${hist ? `${hist} ` : ''}${box} · n ${c.n} from ${c.series} series${inf}${dropped ? ` (${dropped} dropped)` : ''} · ${c.selector}` };
}
