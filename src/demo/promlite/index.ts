/** promlite: the demo's built-in Prometheus-compatible server (store, scraper, PromQL subset, rules, HTTP API). */
export { startDemoPrometheus, type DemoPrometheus, type DemoPrometheusOptions } from './demo.js';
export { startPromLite, type PromLite, type PromLiteOptions } from './server.js';
export { createSeriesStore, type SeriesStore, type SeriesStoreOptions, type StoredSeries, type Point } from './store.js';
export { startScraper, type Scraper, type ScraperOptions, type TargetHealth } from './scraper.js';
export { createRuleEvaluator, type ActiveAlert, type RuleEvaluator, type RuleEvaluatorOptions, type RuleStatus } from './alerting.js';
export { parseRules, RuleFileError, type RuleGroup, type Rule } from './rules.js';
export { instantQuery, rangeQuery, evaluate, DEFAULT_LOOKBACK_MS } from './eval.js';
export { parseExpr } from './parse.js';
export { parseExposition, ExpositionError, type Exposition, type ScrapedSample } from './exposition.js';
export { QueryError, ParseError } from './errors.js';
export type { Value, VectorSample, MatrixSeries } from './values.js';
