/**
 * Builds EngineState values for cockpit tests and the terminal-bytes bench:
 * deterministic (no randomness, fixed clock), realistic (the seeds' gate
 * names, thresholds and node errors), and as full as asked for.
 */
import type { AlertView, EngineEvent, EngineState, GateSample, GateState, GateView, StageView, Value } from '../../src/engine/types.js';
import type { NodeStatus } from '../../src/sources/types.js';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;

/** A deterministic wave in [0, 1) for sample i of series k. */
function wave(i: number, k: number): number {
  const x = Math.sin(i * 0.45 + k * 1.7) * 0.5 + Math.sin(i * 0.13 + k) * 0.3;
  return (x + 0.8) / 1.6;
}

export function history(now: number, count: number, opts: { k?: number; scale?: number; state?: GateState; every?: number } = {}): GateSample[] {
  const { k = 0, scale = 0.05, state = 'ok', every = 30 * SEC } = opts;
  const out: GateSample[] = [];
  for (let i = 0; i < count; i++) {
    const value = Number((wave(i, k) * scale).toFixed(4));
    out.push({ at: now - (count - 1 - i) * every, value, raw: value, state });
  }
  return out;
}

/** A gate in the given state, with the fields the engine would set for it. */
export function gate(id: string, state: GateState = 'ok', over: Partial<GateView> = {}, now = T0): GateView {
  const k = id.length;
  const hist = history(now, 40, { k, state: state === 'off' ? 'off' : 'ok' });
  const base: GateView = {
    id,
    stageId: 'canary-10',
    kind: 'query',
    title: id,
    subject: `sum(rate(dhash_${id.replace(/-/g, '_')}_total{code=~"5.."}[10m])) / sum(rate(dhash_${id.replace(/-/g, '_')}_requests_total[10m]))`,
    state,
    since: now - 4 * MIN - 12 * SEC,
    value: hist[hist.length - 1]!.value,
    display: String(hist[hist.length - 1]!.value),
    fail: ['> 0.05'],
    warn: ['> 0.03'],
    why: 'within thresholds',
    onFail: 'block',
    mode: 'enforce',
    consecutiveBreaches: 0,
    blocks: false,
    history: hist,
    lastEvaluatedAt: now - 5 * SEC,
  };
  const byState: Partial<Record<GateState, Partial<GateView>>> = {
    warn: { value: 0.041, display: '0.041', why: '0.041 > 0.03 (warn band)' },
    pending: {
      value: 0.062,
      display: '0.062',
      why: '0.062 > 0.05 for 4m12s of 10m',
      failsIn: { ms: 5 * MIN + 48 * SEC, probes: 2 },
      breachSince: now - 4 * MIN - 12 * SEC,
      consecutiveBreaches: 3,
      blocks: true,
    },
    failing: {
      value: 0.071,
      display: '0.071',
      why: '0.071 > 0.05 for 10m of 10m',
      breachSince: now - 14 * MIN,
      consecutiveBreaches: 12,
      blocks: true,
      onFail: 'rollback',
    },
    'no data': { value: null, display: 'no data', why: 'no series returned', blocks: true },
    error: { value: null, display: 'error', why: 'query failed: 422 execution: bad_data', blocks: true },
    off: { display: 'off', why: 'mode off', mode: 'off' },
  };
  const g = { ...base, ...byState[state], ...over };
  // The newest sample tells the state the gate is in.
  const last = g.history[g.history.length - 1];
  if (last && over.history === undefined) {
    g.history = [...g.history.slice(0, -1), { ...last, state, value: typeof g.value === 'number' ? g.value : null, raw: g.value }];
  }
  return g;
}

/** One gate per state, in GATE_STATES order. */
export function gatesInEveryState(now = T0): GateView[] {
  return [
    gate('extraction-failure-rate', 'failing', {}, now),
    gate('p99-latency', 'pending', { display: '6.2ms', value: 0.0062, fail: ['> +10%'], warn: [], baseline: 0.0051 }, now),
    gate('error-budget-burn', 'warn', {}, now),
    gate('health', 'no data', { kind: 'health', subject: 'GET /health on 5 nodes', fail: [], warn: [] }, now),
    gate('pool-saturation', 'error', { kind: 'healthField', subject: 'database_pool.state.saturation' }, now),
    gate('label-cardinality', 'ok', { kind: 'cardinality', subject: 'count by (tier) (dhash_requests_total)', fail: ['> 3'], warn: [], value: 3, display: '3' }, now),
    gate('go-live-signoff', 'off', { kind: 'manual', subject: 'go-live sign-off', fail: [], warn: [] }, now),
  ];
}

export function node(i: number, over: Partial<NodeStatus> = {}, now = T0): NodeStatus {
  const name = `web-${i + 1}`;
  return {
    name,
    url: `http://${name}.dhash.internal:8080`,
    up: true,
    consecutiveFailures: 0,
    breaker: 'closed',
    last: { node: name, at: now - 5 * SEC, sent: true, ok: true, status: 200, latencyMs: 8 + ((i * 7) % 40) },
    lastOkAt: now - 5 * SEC,
    ...over,
  };
}

/** A fleet: mostly up, with some down, some behind an open breaker, some degraded, some never probed. */
export function fleet(count: number, opts: { down?: number; open?: number; degraded?: number; unknown?: number } = {}, now = T0): NodeStatus[] {
  const { down = 0, open = 0, degraded = 0, unknown = 0 } = opts;
  const out: NodeStatus[] = [];
  for (let i = 0; i < count; i++) out.push(node(i, {}, now));
  let at = 3;
  const pick = (n: number, f: (s: NodeStatus) => NodeStatus) => {
    for (let j = 0; j < n && at < count; j++, at += 7) out[at] = f(out[at]!);
  };
  pick(down, (s) => ({
    ...s,
    up: false,
    consecutiveFailures: 3,
    last: { node: s.name, at: now - 5 * SEC, sent: true, ok: false, status: 503, latencyMs: 1200, errorCode: 'DB_POOL_EXHAUSTED', error: 'HTTP 503' },
    retryAt: now + 20 * SEC,
    degradedReason: 'DB_POOL_EXHAUSTED',
  }));
  pick(open, (s) => ({
    ...s,
    up: false,
    consecutiveFailures: 5,
    breaker: 'open',
    last: { node: s.name, at: now - 30 * SEC, sent: true, ok: false, error: 'connect ECONNREFUSED' },
    retryAt: now + 25 * SEC,
  }));
  pick(degraded, (s) => ({ ...s, degradedReason: 'database_pool.state.saturation 0.87' }));
  pick(unknown, (s) => ({ ...s, up: null, last: undefined, lastOkAt: undefined }));
  return out;
}

export function alerts(count: number, now = T0): AlertView[] {
  const names = ['HighErrorRate', 'DhashLatencyP99', 'DBPoolSaturated', 'DiskFillingUp', 'CanaryCrashLoop', 'FlightdeckGateFailing'];
  const out: AlertView[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      source: i % 3 === 2 ? 'flightdeck' : 'prometheus',
      name: names[i % names.length]! + (i >= names.length ? `-${i}` : ''),
      state: i % 2 === 0 ? 'firing' : 'pending',
      severity: i % 3 === 0 ? 'critical' : i % 3 === 1 ? 'warning' : 'info',
      since: now - (i + 1) * 47 * SEC,
      summary: `summary of alert ${i}: error ratio above objective on canary`,
      labels: { service: 'dhash', severity: i % 3 === 0 ? 'critical' : 'warning' },
    });
  }
  return out;
}

/** `count` events, oldest first, one of every type in turn. */
export function events(count: number, now = T0): EngineEvent[] {
  const make = (i: number, at: number): EngineEvent => {
    switch (i % 13) {
      case 0: return { at, type: 'poll.started', reason: 'manual' };
      case 1: return { at, type: 'gate.changed', gateId: 'extraction-failure-rate', stageId: 'canary-10', from: 'pending', to: 'failing', value: 0.071, display: '0.071', why: '0.071 > 0.05 for 10m of 10m', onFail: 'rollback' };
      case 2: return { at, type: 'node.down', node: 'web-4', reason: 'HTTP 503 DB_POOL_EXHAUSTED' };
      case 3: return { at, type: 'node.up', node: 'web-4' };
      case 4: return { at, type: 'alert.firing', name: 'HighErrorRate', source: 'prometheus', summary: 'error ratio above objective', severity: 'critical' };
      case 5: return { at, type: 'alert.resolved', name: 'HighErrorRate', source: 'prometheus' };
      case 6: return { at, type: 'prometheus.down', error: 'connect ECONNREFUSED 127.0.0.1:9090' };
      case 7: return { at, type: 'prometheus.up' };
      case 8: return { at, type: 'stage.promotable', stageId: 'canary-10', promotable: false, blockers: [{ kind: 'gate', id: 'extraction-failure-rate', state: 'failing', display: '7.1%', threshold: '> 5%', why: '7.1% > 5%' }, { kind: 'gate', id: 'health', state: 'pending', display: '1', threshold: '> 0', why: '1 of 5 nodes down', nodes: ['web-5'] }] };
      case 9: return { at, type: 'stage.entered', stageId: 'canary-10', index: 1, by: 'promote' };
      case 10: return { at, type: 'rollback.requested', stageId: 'canary-10', gateId: 'extraction-failure-rate', reason: 'gate failing', auto: true };
      case 11: return { at, type: 'poll.done', durationMs: 312, ok: false, gates: 7, nodes: 5 };
      default: return { at, type: 'polling.changed', label: 'hot 5s', intervalMs: 5000, hot: true };
    }
  };
  const out: EngineEvent[] = [];
  for (let i = 0; i < count; i++) out.push(make(i, now - (count - i) * 11 * SEC));
  return out;
}

export function stages(currentIndex = 1, now = T0, over: Partial<StageView> = {}): StageView[] {
  const ids = ['canary-1', 'canary-10', 'canary-50', 'full'];
  return ids.map((id, index) => ({
    id,
    title: id,
    index,
    status: index < currentIndex ? 'done' : index === currentIndex ? 'current' : 'next',
    bakeMs: 15 * MIN,
    enteredAt: index === currentIndex ? now - 4 * MIN - 12 * SEC : index < currentIndex ? now - 30 * MIN : undefined,
    bakeRemainingMs: index === currentIndex ? 10 * MIN + 48 * SEC : undefined,
    promotable: false,
    blockers: [],
    cautions: [],
    hasPromote: index < ids.length - 1,
    hasRollback: true,
    ...(index === currentIndex ? over : {}),
  }));
}

/** Blockers of a stage, as the engine derives them from its gates. */
export function blockersOf(gates: GateView[]): StageView['blockers'] {
  return gates
    .filter((g) => g.blocks)
    .map((g) => ({ gateId: g.id, state: g.state, display: g.display, threshold: g.fail.join(', '), why: g.why }));
}

/** A small but complete state: every gate state, 5 nodes, 2 alerts, a few events. */
export function makeState(over: Partial<EngineState> = {}, now = T0): EngineState {
  const gates = over.gates ?? gatesInEveryState(now);
  const blockers = blockersOf(gates);
  const st = over.stages ?? stages(1, now, { blockers, cautions: gates.filter((g) => g.state === 'warn').map((g) => g.id) });
  return {
    service: 'dhash',
    environment: 'production',
    planFile: 'fixtures/plans/dhash.yaml',
    now,
    stageIndex: 1,
    rolledBack: false,
    stages: st,
    gates,
    nodes: fleet(5, { down: 1 }, now),
    alerts: alerts(2, now),
    polling: {
      label: 'phase 1/2 every 30s',
      intervalMs: 30 * SEC,
      hot: false,
      phaseIndex: 0,
      phaseStartedAt: now - 4 * MIN,
      windowStart: now - 8 * MIN,
      windowEnd: now + 52 * MIN,
      nextPollAt: now + 12 * SEC,
      lastPollAt: now - 18 * SEC,
      lastSuccessAt: now - 18 * SEC,
      lastDurationMs: 240,
      inFlight: false,
    },
    prometheus: { configured: true, status: 'up', url: 'http://127.0.0.1:9090', since: now - 8 * MIN },
    events: events(6, now),
    ...over,
  };
}

/** A dashboard as full as it gets: `gates` gates (mostly ok), a large fleet, many alerts and events. */
export function makeFullState(opts: { gates?: number; nodes?: number; alerts?: number; events?: number } = {}, now = T0): EngineState {
  const nGates = opts.gates ?? 40;
  const every = gatesInEveryState(now);
  const gates: GateView[] = [...every];
  for (let i = gates.length; i < nGates; i++) {
    gates.push(gate(`gate-${String(i + 1).padStart(2, '0')}-error-ratio`, i % 9 === 0 ? 'warn' : 'ok', {}, now));
  }
  const nodeCount = opts.nodes ?? 500;
  const nodes = fleet(nodeCount, { down: 2, open: 1, degraded: 3, unknown: 1 }, now);
  return makeState(
    {
      gates: gates.slice(0, nGates),
      nodes,
      alerts: alerts(opts.alerts ?? 12, now),
      events: events(opts.events ?? 200, now),
      polling: { ...makeState({}, now).polling, label: 'hot 5s', intervalMs: 5 * SEC, hot: true, nextPollAt: now + 3 * SEC },
    },
    now,
  );
}

/** The same state with one gate's value changed (value, display and newest sample), as one poll would. */
export function withGateValue(state: EngineState, gateId: string, value: Value): EngineState {
  return {
    ...state,
    gates: state.gates.map((g) => {
      if (g.id !== gateId) return g;
      const num = typeof value === 'number' ? value : typeof value === 'boolean' ? (value ? 1 : 0) : null;
      const last = g.history[g.history.length - 1];
      const hist = last ? [...g.history.slice(0, -1), { ...last, value: num, raw: value }] : g.history;
      return { ...g, value, display: String(value), history: hist };
    }),
  };
}
