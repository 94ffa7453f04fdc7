/**
 * A simulated node's /metrics: a prom-client Registry of its own (default
 * labels node and service) whose values are read from the node's lazily
 * settled totals in collect(), so nothing ticks between scrapes.
 */
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { HistogramState } from './distribution.js';
import type { SimNode } from './node-model.js';

export function createNodeRegistry(node: SimNode, service: string, now: () => number): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: node.name, service });
  const t = node.totals;
  const settle = () => node.settle(now());

  const counter = (name: string, help: string, read: () => Array<[Record<string, string>, number]>, labelNames: string[] = []) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        settle();
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, Math.floor(value));
      },
    });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        settle();
        this.set(read());
      },
    });
  const histogram = (name: string, help: string, state: HistogramState) =>
    registry.registerMetric(new BulkHistogram(name, help, state, settle) as unknown as Metric);

  counter('http_requests_total', 'HTTP requests served, by status', () => [
    [{ status: '200' }, t.requests.ok],
    [{ status: '500' }, t.requests.error],
  ], ['status']);
  histogram('http_request_duration_seconds', 'HTTP request duration', t.requestDuration);
  counter('dhash_extractions_total', 'dhash extractions', () => [[{}, t.extractions]]);
  counter('dhash_extraction_failures_total', 'dhash extractions that failed', () => [[{}, t.extractionFailures]]);
  histogram('dhash_hash_duration_seconds', 'dhash hash computation time', t.hashDuration);
  gauge('dhash_low_confidence_queue_length', 'Items waiting in the low-confidence queue', () => Math.round(node.fault.queueLength));
  gauge('process_memory_usage_ratio', 'Resident memory as a share of the limit', () => node.fault.memoryRatio);
  counter('stage_validation_validations_total', 'Stage payload validations, by mode', () => [
    [{ mode: 'warn' }, t.validations.warn],
    [{ mode: 'enforce' }, t.validations.enforce],
  ], ['mode']);
  counter('stage_validation_errors_total', 'Stage payload validations that failed', () => [[{}, t.validationErrors]]);
  histogram('stage_validation_duration_seconds', 'Stage payload validation time', t.validationDuration);
  counter('stage_deprecation_header_emitted_total', 'Deprecation headers emitted in warn mode', () => [[{}, t.headersEmitted]]);
  counter('helper_bucket_total', 'Validated payloads by helper count bucket', () =>
    Object.entries(t.helperBuckets).map(([bucket, v]) => [{ bucket }, v]), ['bucket']);
  counter('instrument_registry_http_requests_total', 'Instrument registry HTTP requests, by status', () => [
    [{ status: '200' }, t.registryRequests.ok],
    [{ status: '500' }, t.registryRequests.error],
  ], ['status']);
  histogram('instrument_registry_http_request_duration_seconds', 'Instrument registry request duration', t.registryDuration);
  gauge('instrument_registry_memory_usage_bytes', 'Instrument registry memory in use', () => node.memoryBytes());
  counter('dual_write_operations_total', 'Dual-write operations, by result', () => [
    [{ status: 'success' }, t.dualWrites.success],
    [{ status: 'failure' }, t.dualWrites.failure],
  ], ['status']);
  counter('watchdog_restarts_total', 'Worker restarts triggered by the watchdog', () => [[{}, t.watchdogRestarts]]);
  gauge('db_pool_saturation', 'Database pool in use / size', () => node.effectiveSaturation());
  return registry;
}

/**
 * A histogram whose buckets come from running totals rather than one
 * observe() per sample (prom-client's Histogram can only add one at a time).
 * It offers the metric interface a Registry reads: name, help, type, get().
 */
class BulkHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly state: HistogramState,
    private readonly settle: () => void,
  ) {}

  async get() {
    this.settle();
    const s = this.state;
    const bucket = `${this.name}_bucket`;
    const count = Math.floor(s.count);
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = s.bounds.map((le, i) => ({
      labels: { le },
      value: Math.min(count, Math.floor(s.cumulative[i]!)),
      metricName: bucket,
    }));
    values.push({ labels: { le: '+Inf' }, value: count, metricName: bucket });
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [
        ...values,
        { labels: {}, value: s.sum, metricName: `${this.name}_sum` },
        { labels: {}, value: count, metricName: `${this.name}_count` },
      ],
    };
  }

  reset(): void {
    // Totals belong to the node model; nothing to clear here.
  }
}
