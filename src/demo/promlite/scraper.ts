/**
 * Scrapes the fleet's /metrics over loopback every `intervalMs` of CLOCK
 * time, as a Prometheus server would: job and instance labels, `up` 1/0,
 * scrape_duration_seconds and scrape_samples_scraped, staleness markers for
 * series that vanish (or for every series of a target that stops answering).
 */
import type { Clock, TimerHandle } from '../../clock.js';
import { createHttpTransport } from '../../sources/http.js';
import type { HttpTransport } from '../../sources/types.js';
import { ExpositionError, parseExposition } from './exposition.js';
import { METRIC_NAME, labelsKey, normalizeLabels } from './labels.js';
import type { SeriesStore } from './store.js';

export interface ScraperOptions {
  /** Anything with `targets` (host:port), such as a Fleet. */
  fleet: { readonly targets: readonly string[] };
  clock: Clock;
  /** Clock time between scrapes. */
  intervalMs: number;
  store: SeriesStore;
  /** The job label (default "fleet"). */
  job?: string;
  metricsPath?: string;
  /** Real-time limit on one scrape (default 5 s). */
  timeoutMs?: number;
  /** The network; by default a keep-alive transport the scraper owns and closes. */
  transport?: HttpTransport;
  /** Scrape once at start (default true), as well as every interval. */
  scrapeAtStart?: boolean;
}

export interface TargetHealth {
  instance: string;
  url: string;
  health: 'up' | 'down' | 'unknown';
  lastScrape?: number;
  lastError?: string;
  samples: number;
}

export interface Scraper {
  /** Resolves when no scrape is in flight (tests await it after advancing a ManualClock). */
  idle(): Promise<void>;
  /** Scrapes every target now (targets still being scraped are skipped). */
  scrapeNow(): Promise<void>;
  targets(): TargetHealth[];
  /** Stops the schedule, waits for scrapes in flight, closes an owned transport. */
  stop(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;
const ACCEPT = 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1';

interface TargetState extends TargetHealth {
  inFlight?: Promise<void>;
  /** Series written by the last successful scrape, by key. */
  last: Map<string, Record<string, string>>;
}

export function startScraper(opts: ScraperOptions): Scraper {
  if (!(opts.intervalMs > 0)) throw new Error(`scrape intervalMs must be positive, got ${String(opts.intervalMs)}`);
  const { clock, store, intervalMs } = opts;
  const job = opts.job ?? 'fleet';
  const path = opts.metricsPath ?? '/metrics';
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const transport = opts.transport ?? createHttpTransport({ connections: 2 });
  const ownsTransport = !opts.transport;
  const states = new Map<string, TargetState>();
  let stopped = false;
  let timer: TimerHandle | undefined;
  let nextDue = clock.now() + intervalMs;

  const stateOf = (instance: string): TargetState => {
    let s = states.get(instance);
    if (!s) {
      s = { instance, url: `http://${instance}${path}`, health: 'unknown', samples: 0, last: new Map() };
      states.set(instance, s);
    }
    return s;
  };

  async function scrapeTarget(s: TargetState): Promise<void> {
    const t = clock.now();
    const started = performance.now();
    const target = { job, instance: s.instance };
    let written: Map<string, Record<string, string>> | undefined;
    let error: string | undefined;
    try {
      const res = await transport.request({ method: 'GET', url: s.url, headers: { accept: ACCEPT }, timeoutMs, maxBytes: MAX_BODY });
      if (res.status !== 200) throw new Error(`server returned HTTP status ${res.status}`);
      const { samples } = parseExposition(res.body);
      if (stopped) return;
      written = new Map();
      for (const smp of samples) {
        const labels = targetLabels(smp.name, smp.labels, target);
        store.append(labels, smp.timestamp ?? t, smp.value);
        written.set(labelsKey(normalizeLabels(labels)), labels);
      }
    } catch (err) {
      error = err instanceof ExpositionError ? `invalid exposition: ${err.message}` : err instanceof Error ? err.message : String(err);
    }
    if (stopped) return;
    const seconds = (performance.now() - started) / 1000;
    for (const [key, labels] of s.last) if (!written?.has(key)) store.markStale(labels, t);
    s.last = written ?? new Map();
    s.health = written ? 'up' : 'down';
    s.lastScrape = t;
    s.samples = written?.size ?? 0;
    if (error === undefined) delete s.lastError;
    else s.lastError = error;
    store.append({ [METRIC_NAME]: 'up', ...target }, t, written ? 1 : 0);
    store.append({ [METRIC_NAME]: 'scrape_duration_seconds', ...target }, t, seconds);
    store.append({ [METRIC_NAME]: 'scrape_samples_scraped', ...target }, t, s.samples);
  }

  function scrapeAll(): Promise<void> {
    if (stopped) return Promise.resolve();
    const runs: Promise<void>[] = [];
    for (const instance of opts.fleet.targets) {
      const s = stateOf(instance);
      if (s.inFlight) continue; // never two scrapes of one target at once
      const run = scrapeTarget(s).finally(() => {
        if (s.inFlight === run) delete s.inFlight;
      });
      s.inFlight = run;
      runs.push(run);
    }
    return Promise.all(runs).then(() => undefined);
  }

  function schedule(): void {
    if (stopped) return;
    const now = clock.now();
    while (nextDue <= now) nextDue += intervalMs; // a late clock skips slots instead of bursting
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      void scrapeAll();
      schedule();
    }, nextDue - now);
  }

  if (opts.scrapeAtStart ?? true) void scrapeAll();
  schedule();

  const idle = async (): Promise<void> => {
    for (;;) {
      const running = [...states.values()].map((s) => s.inFlight).filter((p): p is Promise<void> => !!p);
      if (running.length === 0) return;
      await Promise.allSettled(running);
    }
  };

  return {
    idle,
    scrapeNow: scrapeAll,
    targets: () => [...states.values()].map(({ inFlight: _i, last: _l, ...h }) => ({ ...h })),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await idle();
      if (ownsTransport) await transport.close();
    },
  };
}

/** A scraped sample's labels plus job and instance; clashing target labels are kept as exported_* (honor_labels: false). */
function targetLabels(name: string, labels: Record<string, string>, target: { job: string; instance: string }): Record<string, string> {
  const out: Record<string, string> = { ...labels, [METRIC_NAME]: name };
  for (const [k, v] of Object.entries(target)) {
    if (k in out) out[`exported_${k}`] = out[k]!;
    out[k] = v;
  }
  return out;
}
