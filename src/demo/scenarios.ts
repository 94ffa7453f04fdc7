/**
 * The demo's stories. Each says what the new version (v2) does once traffic
 * reaches it, what happens to the fleet or Prometheus at given moments, and
 * whether the presenter's autopilot may use a guarded override.
 */
import type { Fault } from '../simulator/index.js';

export interface ScenarioStep {
  /** Clock time after the demo starts. */
  atMs: number;
  say: string;
  do: 'node-down' | 'node-up' | 'prometheus-down' | 'prometheus-up' | 'saturate' | 'desaturate';
}

export interface Scenario {
  name: string;
  summary: string;
  /** The fault the v2 nodes get once the rollout reaches `from` percent. */
  badRelease?: { from: number; fault: Partial<Fault> };
  steps: ScenarioStep[];
  /** The autopilot promotes past blocking gates with a guarded override after this long blocked. */
  overrideAfterMs?: number;
}

const MIN = 60_000;

export const SCENARIOS: Record<string, Scenario> = {
  healthy: {
    name: 'healthy',
    summary: 'v2 is good: every stage bakes, gates stay green, the rollout reaches 100%',
    steps: [],
  },
  regression: {
    name: 'regression',
    summary: 'v2 fails under load: after the promote to 50% the error rate breaches, and the rollback gate rolls back on its own',
    badRelease: { from: 50, fault: { errorRate: 0.3, latencyMs: 0 } },
    steps: [],
  },
  'node-down': {
    name: 'node-down',
    summary: 'a node stops answering during the canary bake: promotion is blocked until it is back',
    steps: [
      { atMs: 2 * MIN, say: 'node 3 goes down (connection refused)', do: 'node-down' },
      { atMs: 9 * MIN, say: 'node 3 is back', do: 'node-up' },
    ],
  },
  'prometheus-down': {
    name: 'prometheus-down',
    summary: 'Prometheus becomes unreachable: gates go to error (never a pass), promotion waits until it is back',
    steps: [
      { atMs: 2 * MIN, say: 'Prometheus stops answering', do: 'prometheus-down' },
      { atMs: 8 * MIN, say: 'Prometheus answers again', do: 'prometheus-up' },
    ],
  },
  override: {
    name: 'override',
    summary: 'the database pool stays saturated: the pool gate blocks, and the operator promotes with a guarded override',
    steps: [{ atMs: 1 * MIN, say: 'the database pool saturates on every node (95%)', do: 'saturate' }],
    overrideAfterMs: 4 * MIN,
  },
};
