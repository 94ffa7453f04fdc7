/** Aggregation operators (sum, min, max, avg, count, group, stddev, stdvar) with by/without, as Prometheus 2.42 folds them. */
import type { Aggregate } from './ast.js';
import { METRIC_NAME, labelsKey, onlyLabels, withoutLabels, type Labels } from './labels.js';
import type { VectorSample } from './values.js';

interface Group {
  labels: Labels;
  value: number;
  mean: number;
  count: number;
}

const isInf = (v: number): boolean => v === Infinity || v === -Infinity;

export function aggregate(e: Pick<Aggregate, 'op' | 'grouping' | 'without'>, input: readonly VectorSample[]): VectorSample[] {
  const groups = new Map<string, Group>();
  for (const s of input) {
    const labels = e.without ? withoutLabels(s.labels, [...e.grouping, METRIC_NAME]) : onlyLabels(s.labels, e.grouping);
    const key = labelsKey(labels);
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { labels, value: s.v, mean: s.v, count: 1 });
      if (e.op === 'stddev' || e.op === 'stdvar') groups.get(key)!.value = 0;
      continue;
    }
    g.count++;
    switch (e.op) {
      case 'sum':
        g.value += s.v;
        break;
      case 'avg':
        if (isInf(g.mean)) {
          if (isInf(s.v) && g.mean > 0 === s.v > 0) break; // the same infinity: already right
          if (Number.isFinite(s.v)) break; // an infinite mean absorbs finite values
        }
        g.mean += s.v / g.count - g.mean / g.count;
        break;
      case 'max':
        if (g.value < s.v || Number.isNaN(g.value)) g.value = s.v;
        break;
      case 'min':
        if (g.value > s.v || Number.isNaN(g.value)) g.value = s.v;
        break;
      case 'stddev':
      case 'stdvar': {
        const delta = s.v - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (s.v - g.mean);
        break;
      }
      case 'count':
      case 'group':
        break;
    }
  }
  const out: VectorSample[] = [];
  for (const g of groups.values()) {
    let v: number;
    switch (e.op) {
      case 'avg':
        v = g.mean;
        break;
      case 'count':
        v = g.count;
        break;
      case 'group':
        v = 1;
        break;
      case 'stdvar':
        v = g.value / g.count;
        break;
      case 'stddev':
        v = Math.sqrt(g.value / g.count);
        break;
      default:
        v = g.value;
    }
    out.push({ labels: g.labels, v });
  }
  return out;
}
