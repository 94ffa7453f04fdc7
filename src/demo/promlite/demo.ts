/**
 * The demo's Prometheus in one call: a store, a scraper on the fleet, the
 * rule evaluator (when rules are given) and the HTTP server, all on the
 * injected clock, so an accelerated clock speeds up scrapes, rates and `for`.
 */
import type { Clock } from '../../clock.js';
import { createRuleEvaluator, type RuleEvaluator } from './alerting.js';
import { startScraper, type Scraper } from './scraper.js';
import { startPromLite } from './server.js';
import { createSeriesStore, type SeriesStore } from './store.js';

export interface DemoPrometheusOptions {
  fleet: { readonly targets: readonly string[] };
  clock: Clock;
  /** Clock time between scrapes (default 5 s). */
  scrapeIntervalMs?: number;
  /** Clock time between rule evaluations (default: the scrape interval). */
  evaluationIntervalMs?: number;
  /** A Prometheus rule file's text. */
  rulesYaml?: string;
  /** Clock time samples are kept (default 2 h). */
  retentionMs?: number;
  /** The job label of scraped series (default "fleet"). */
  job?: string;
  /** Real-time limit on one scrape (default 5 s); a slower node counts as down for that scrape. */
  scrapeTimeoutMs?: number;
  port?: number;
}

export interface DemoPrometheus {
  url: string;
  store: SeriesStore;
  scraper: Scraper;
  rules: RuleEvaluator | undefined;
  /** Resolves once no scrape is in flight (for tests that step a ManualClock). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startDemoPrometheus(opts: DemoPrometheusOptions): Promise<DemoPrometheus> {
  const scrapeIntervalMs = opts.scrapeIntervalMs ?? 5_000;
  const store = createSeriesStore({ clock: opts.clock, ...(opts.retentionMs !== undefined ? { retentionMs: opts.retentionMs } : {}) });
  // Parse the rules before anything starts, so a bad rule file leaves nothing running.
  const rules = opts.rulesYaml
    ? createRuleEvaluator({ rules: opts.rulesYaml, store, clock: opts.clock, intervalMs: opts.evaluationIntervalMs ?? scrapeIntervalMs })
    : undefined;
  const job = opts.job ?? 'fleet';
  const scraper = startScraper({
    fleet: opts.fleet,
    clock: opts.clock,
    intervalMs: scrapeIntervalMs,
    store,
    job,
    ...(opts.scrapeTimeoutMs !== undefined ? { timeoutMs: opts.scrapeTimeoutMs } : {}),
  });
  let server;
  try {
    server = await startPromLite({
      store,
      clock: opts.clock,
      scraper,
      job,
      ...(rules ? { rules } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
    });
  } catch (err) {
    rules?.stop();
    await scraper.stop();
    throw err;
  }
  const srv = server;
  let closing: Promise<void> | undefined;
  return {
    url: srv.url,
    store,
    scraper,
    rules,
    idle: () => scraper.idle(),
    close() {
      closing ??= (async () => {
        rules?.stop();
        await scraper.stop();
        await srv.close();
      })();
      return closing;
    },
  };
}
