/** Turns a range query's series into one check result per step (reduced across series), oldest first. */
import { reduceValues } from '../../checks/value.js';
import type { Reducer } from '../plan/schema.js';
import type { PromSample } from '../sources/types.js';
import type { CheckResult } from './types.js';

export function rangeResults(
  series: Array<{ values: PromSample[] }>,
  start: number,
  end: number,
  stepMs: number,
  reducer: Reducer = 'max',
): Array<[number, CheckResult]> {
  // Prometheus aligns range steps to `start`; a sample belongs to the nearest step (timestamps are rounded to seconds).
  const byStep = new Map<number, number[]>();
  const infinite = new Map<number, number>();
  for (const s of series) {
    for (const v of s.values) {
      if (Number.isNaN(v.value)) continue;
      const step = Math.round((v.timestamp - start) / stepMs);
      if (!Number.isFinite(v.value)) {
        infinite.set(step, v.value);
        continue;
      }
      const list = byStep.get(step) ?? [];
      list.push(v.value);
      byStep.set(step, list);
    }
  }
  const out: Array<[number, CheckResult]> = [];
  for (let i = 0; start + i * stepMs <= end; i++) {
    const values = byStep.get(i);
    const inf = infinite.get(i);
    if (inf !== undefined) {
      out.push([start + i * stepMs, { status: 'error', reason: `value is ${inf > 0 ? '+Inf' : '-Inf'} at this step` }]);
      continue;
    }
    out.push([start + i * stepMs, values?.length ? { status: 'value', value: reduceValues(values, reducer) as number } : { status: 'no data', reason: 'no sample at this step' }]);
  }
  return out;
}
