/**
 * Flightdeck's own Prometheus metrics (prom-client): gate values and states,
 * poll durations, node reachability, actions. Served on 127.0.0.1 by default.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { numeric } from '../engine/gate.js';
import { GATE_STATES, type EngineEvent, type EngineState } from '../engine/types.js';

export class SelfMetrics {
  readonly registry = new Registry();
  private readonly gateValue = new Gauge({ name: 'flightdeck_gate_value', help: 'Last value of each gate (booleans 0/1; NaN when none)', labelNames: ['gate', 'stage'], registers: [this.registry] });
  private readonly gateState = new Gauge({ name: 'flightdeck_gate_state', help: '1 for the state each gate is in, 0 for the others', labelNames: ['gate', 'stage', 'state'], registers: [this.registry] });
  private readonly pollDuration = new Histogram({ name: 'flightdeck_poll_duration_seconds', help: 'Duration of one poll of every source', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  private readonly polls = new Counter({ name: 'flightdeck_polls_total', help: 'Polls by outcome', labelNames: ['ok'], registers: [this.registry] });
  private readonly nodeUp = new Gauge({ name: 'flightdeck_node_up', help: '1 when the node answered healthy at its last probe', labelNames: ['node'], registers: [this.registry] });
  private readonly promUp = new Gauge({ name: 'flightdeck_prometheus_up', help: '1 when Prometheus answered at the last poll', registers: [this.registry] });
  private readonly actions = new Counter({ name: 'flightdeck_actions_total', help: 'Promote and rollback actions by result', labelNames: ['action', 'result'], registers: [this.registry] });
  private readonly stageIndex = new Gauge({ name: 'flightdeck_stage_index', help: 'Index of the current stage (0-based)', registers: [this.registry] });

  constructor(labels: { service: string; environment: string }) {
    this.registry.setDefaultLabels(labels);
  }

  event(e: EngineEvent): void {
    if (e.type === 'poll.done') {
      this.pollDuration.observe(e.durationMs / 1000);
      this.polls.inc({ ok: String(e.ok) });
    }
  }

  action(action: string, result: 'ok' | 'failed' | 'refused'): void {
    this.actions.inc({ action, result });
  }

  update(state: EngineState): void {
    this.stageIndex.set(state.stageIndex);
    this.promUp.set(state.prometheus.status === 'up' ? 1 : 0);
    for (const g of state.gates) {
      const stage = g.stageId ?? '*';
      this.gateValue.set({ gate: g.id, stage }, numeric(g.value) ?? NaN);
      for (const s of GATE_STATES) this.gateState.set({ gate: g.id, stage, state: s }, g.state === s ? 1 : 0);
    }
    for (const n of state.nodes) this.nodeUp.set({ node: n.name }, n.up ? 1 : 0);
  }

  /** Serves /metrics; resolves with the bound address. */
  async serve(port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(`${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    return { server, url: `http://${host}:${addr.port}/metrics` };
  }
}
