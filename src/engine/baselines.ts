/**
 * First-value baselines of relative thresholds ("> +10%" without a
 * `baseline:` spec): the gate's value at the stage's entry. Captured once per
 * stage entry (the first evaluation after it), kept in the rollout state by
 * gate key, reused after a restart; a process that did not see the entry (a
 * restart without a saved one, a one-shot `check`) reads the value at the
 * entry time from Prometheus history, and never takes the value it is judging.
 */
import { reduceValues } from '../../checks/value.js';
import type { Reducer } from '../plan/schema.js';
import type { PromClient } from '../sources/types.js';
import type { GateRuntime } from './gate.js';

/** The gate's key in the rollout state: `stage/gate`, `*` as the stage of a plan-wide gate. */
export function keyOf(g: Pick<GateRuntime, 'stageId' | 'spec'>): string {
  return `${g.stageId ?? '*'}/${g.spec.id}`;
}

/** A gate with a relative threshold and no baseline spec: its baseline is its value at the stage's entry. */
export function needsFirstValue(g: Pick<GateRuntime, 'spec' | 'fail' | 'warn'>): boolean {
  return !g.spec.baseline && [...g.fail, ...g.warn].some((t) => t.relative);
}

/**
 * The gate's history query (its kind says which) at the stage's entry time: its value, or why there
 * is none; undefined when Prometheus could not be asked (asked again at the next poll).
 */
export async function historyBaseline(prom: PromClient, query: string, reduce: Reducer | undefined, at: number): Promise<{ value: number; at: number } | { none: string } | undefined> {
  try {
    const res = await prom.query(query, { time: at });
    const nums = res.resultType === 'string' ? [] : res.samples.map((s) => s.value).filter((v) => Number.isFinite(v));
    if (nums.length === 0) return { none: `Prometheus has no value of the query at the stage's entry (${new Date(at).toISOString()})` };
    return { value: reduceValues(nums, reduce ?? 'max') as number, at };
  } catch {
    return undefined;
  }
}
