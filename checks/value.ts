/** Helpers shared by checks: reading a field by path, reducing several values to one. */
import type { Reducer } from '../src/plan/schema.js';
import type { Value } from './types.js';
import type { GateSpec } from '../src/plan/schema.js';
import type { NodeStatus } from '../src/sources/types.js';
import type { CheckContext } from './types.js';

/** The node statuses a health gate reads: the deep probes when it asks for them. */
export function nodesFor(gate: GateSpec, ctx: Pick<CheckContext, 'nodes' | 'deepNodes'>): NodeStatus[] | string {
  const deep = gate.health?.deep || gate.deep;
  if (!deep) return ctx.nodes;
  return ctx.deepNodes ?? 'no node has a deep health path (nodes[].deep)';
}

export { getPath } from '../src/sources/json-path.js';

/** A JSON leaf as a gate value; objects/arrays/null are not values. */
export function asValue(v: unknown): Value | null {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return null;
}

/**
 * Reduces several values to one. Numbers use the reducer; booleans treat
 * max/any as "any true" and min as "all true"; strings treat max/any as "the
 * first non-empty" (so `!= ""` breaches when any node has one) and min as
 * "empty if any is empty".
 */
export function reduceValues(values: Value[], reducer: Reducer = 'max'): Value | null {
  if (values.length === 0) return null;
  if (reducer === 'count') return values.length;
  if (values.every((v) => typeof v === 'number')) {
    const nums = values as number[];
    switch (reducer) {
      case 'max':
      case 'any':
        return Math.max(...nums);
      case 'min':
        return Math.min(...nums);
      case 'sum':
        return nums.reduce((a, b) => a + b, 0);
      case 'avg':
        return nums.reduce((a, b) => a + b, 0) / nums.length;
    }
  }
  if (values.every((v) => typeof v === 'boolean')) {
    return reducer === 'min' ? values.every(Boolean) : values.some(Boolean);
  }
  const strings = values.map(String);
  if (reducer === 'min') return strings.some((s) => s === '') ? '' : strings[0]!;
  return strings.find((s) => s !== '') ?? '';
}
