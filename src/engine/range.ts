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
  const byTime = new Map<number, number[]>();
  for (const s of series) {
    for (const v of s.values) {
      if (Number.isNaN(v.value)) continue;
      const list = byTime.get(v.timestamp) ?? [];
      list.push(v.value);
      byTime.set(v.timestamp, list);
    }
  }
  const out: Array<[number, CheckResult]> = [];
  for (let t = start; t <= end; t += stepMs) {
    // Prometheus aligns range steps to `start`; match within half a step to allow for rounding to seconds.
    const key = [...byTime.keys()].find((k) => Math.abs(k - t) < stepMs / 2);
    const values = key === undefined ? undefined : byTime.get(key);
    out.push([t, values?.length ? { status: 'value', value: reduceValues(values, reducer) as number } : { status: 'no data', reason: 'no sample at this step' }]);
  }
  return out;
}
