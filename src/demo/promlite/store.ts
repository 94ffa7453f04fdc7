/**
 * promlite's in-memory TSDB: per series (a label set) an append-only run of
 * (t, v) samples in time order, trimmed to the retention. Staleness markers
 * are kept as flagged samples, as Prometheus writes them when a target or a
 * series disappears.
 */
import type { Clock } from '../../clock.js';
import { METRIC_NAME, compareLabels, labelsKey, matchesAll, normalizeLabels, type Labels, type Matcher } from './labels.js';

export interface Point {
  t: number;
  v: number;
}

export interface StoredSample extends Point {
  /** A staleness marker: the series ended here. */
  stale: boolean;
}

export interface StoredSeries {
  readonly labels: Labels;
  /** The latest sample at or before `t` (marker included), if any. */
  lastAtOrBefore(t: number): StoredSample | undefined;
  /** Samples with mint <= t <= maxt, markers dropped. */
  range(mint: number, maxt: number): Point[];
  /** Whether any sample (marker included) lies in [mint, maxt]. */
  hasSamplesIn(mint: number, maxt: number): boolean;
}

export type AppendResult = 'ok' | 'out_of_order' | 'duplicate';

export interface SeriesStore {
  readonly retentionMs: number;
  /** Adds a sample; like Prometheus, an older timestamp than the series' last is refused. */
  append(labels: Record<string, string>, t: number, v: number): AppendResult;
  /** Writes a staleness marker at `t` unless the series is already stale or absent. */
  markStale(labels: Record<string, string>, t: number): void;
  /** Series whose labels satisfy every matcher, in Prometheus's label order. */
  select(matchers: readonly Matcher[]): StoredSeries[];
  /** Number of series held. */
  size(): number;
}

export interface SeriesStoreOptions {
  clock: Clock;
  /** Samples older than now - retentionMs are dropped (default 2 h). */
  retentionMs?: number;
}

class Series implements StoredSeries {
  private ts: number[] = [];
  private vs: number[] = [];
  private stale: boolean[] = [];
  private head = 0;

  constructor(readonly labels: Labels) {}

  get empty(): boolean {
    return this.head >= this.ts.length;
  }

  get lastT(): number | undefined {
    return this.empty ? undefined : this.ts[this.ts.length - 1];
  }

  get lastStale(): boolean {
    return !this.empty && this.stale[this.stale.length - 1] === true;
  }

  push(t: number, v: number, stale: boolean): AppendResult {
    const last = this.lastT;
    if (last !== undefined) {
      if (t < last) return 'out_of_order';
      if (t === last) {
        const lv = this.vs[this.vs.length - 1]!;
        const same = lv === v || (Number.isNaN(lv) && Number.isNaN(v) && this.lastStale === stale);
        return same ? 'ok' : 'duplicate';
      }
    }
    this.ts.push(t);
    this.vs.push(v);
    this.stale.push(stale);
    return 'ok';
  }

  /** Drops samples before `mint`. */
  trim(mint: number): void {
    const i = this.lowerBound(mint);
    if (i === this.head) return;
    this.head = i;
    if (this.head > 1024 && this.head * 2 > this.ts.length) {
      this.ts = this.ts.slice(this.head);
      this.vs = this.vs.slice(this.head);
      this.stale = this.stale.slice(this.head);
      this.head = 0;
    }
  }

  /** First index with ts >= t. */
  private lowerBound(t: number): number {
    let lo = this.head;
    let hi = this.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  lastAtOrBefore(t: number): StoredSample | undefined {
    const i = this.lowerBound(t + 1) - 1;
    if (i < this.head) return undefined;
    return { t: this.ts[i]!, v: this.vs[i]!, stale: this.stale[i]! };
  }

  range(mint: number, maxt: number): Point[] {
    const out: Point[] = [];
    for (let i = this.lowerBound(mint); i < this.ts.length && this.ts[i]! <= maxt; i++) {
      if (!this.stale[i]) out.push({ t: this.ts[i]!, v: this.vs[i]! });
    }
    return out;
  }

  hasSamplesIn(mint: number, maxt: number): boolean {
    const i = this.lowerBound(mint);
    return i < this.ts.length && this.ts[i]! <= maxt;
  }
}

export function createSeriesStore(opts: SeriesStoreOptions): SeriesStore {
  const retentionMs = opts.retentionMs ?? 2 * 3_600_000;
  if (!(retentionMs > 0)) throw new Error(`retentionMs must be positive, got ${String(retentionMs)}`);
  const clock = opts.clock;
  /** metric name -> series key -> series. */
  const byName = new Map<string, Map<string, Series>>();
  let count = 0;
  let appendsSinceSweep = 0;

  const bucketOf = (labels: Labels): Map<string, Series> => {
    const name = labels[METRIC_NAME] ?? '';
    let bucket = byName.get(name);
    if (!bucket) byName.set(name, (bucket = new Map()));
    return bucket;
  };

  /** Drops old samples, and series left with none. */
  const sweep = (): void => {
    const mint = clock.now() - retentionMs;
    for (const [name, bucket] of byName) {
      for (const [key, s] of bucket) {
        s.trim(mint);
        if (s.empty) {
          bucket.delete(key);
          count--;
        }
      }
      if (bucket.size === 0) byName.delete(name);
    }
  };

  const write = (raw: Record<string, string>, t: number, v: number, stale: boolean): AppendResult => {
    const labels = normalizeLabels(raw);
    const key = labelsKey(labels);
    const bucket = bucketOf(labels);
    let s = bucket.get(key);
    if (!s) {
      if (stale) return 'ok';
      bucket.set(key, (s = new Series(labels)));
      count++;
    } else if (stale && s.lastStale) {
      return 'ok';
    }
    const r = s.push(t, v, stale);
    if (++appendsSinceSweep >= 10_000) {
      appendsSinceSweep = 0;
      sweep();
    }
    return r;
  };

  return {
    retentionMs,
    append(labels, t, v) {
      if (!Number.isFinite(t)) throw new Error(`sample time must be a finite number of ms, got ${String(t)}`);
      return write(labels, Math.round(t), v, false);
    },
    markStale(labels, t) {
      write(labels, Math.round(t), NaN, true);
    },
    select(matchers) {
      const mint = clock.now() - retentionMs;
      const nameEq = matchers.find((m) => m.name === METRIC_NAME && m.type === '=');
      const buckets = nameEq ? [byName.get(nameEq.value)].filter((b): b is Map<string, Series> => !!b) : [...byName.values()];
      const out: Series[] = [];
      for (const bucket of buckets) {
        for (const s of bucket.values()) {
          if (!matchesAll(s.labels, matchers)) continue;
          s.trim(mint);
          if (!s.empty) out.push(s);
        }
      }
      return out.sort((a, b) => compareLabels(a.labels, b.labels));
    },
    size() {
      return count;
    },
  };
}
