/**
 * Every gate of a recorded window: each evaluation (sampled from the replayed
 * engine after every observation and command, so a long window keeps every
 * value, not only the engine's bounded history), each state change (from the
 * recorded gate.changed events, exactly as recorded), time in each state, the
 * worst value, and the numeric thresholds for a chart.
 */
import { defaultFail } from '../../checks/index.js';
import { effectiveMode, effectiveOnFail, displayValue, gateSubject, numeric } from '../engine/gate.js';
import type { EngineEvent, EngineState, GateState, GateView } from '../engine/types.js';
import { gateKind, type GateSpec, type Plan } from '../plan/schema.js';
import { parseThreshold, thresholdTarget, type Threshold } from '../plan/threshold.js';
import type { GateChange, GatePoint, GateReport, GateSegment, StageReport } from './model.js';

export function gateKey(stageId: string | null, gateId: string): string {
  return `${stageId ?? '*'}:${gateId}`;
}

/** How bad a state is, for "worst" when a value has no direction. */
const SEVERITY: Record<GateState, number> = { failing: 6, pending: 5, error: 4, 'no data': 3, warn: 2, ok: 1, off: 0 };

export class GateCollector {
  private readonly views = new Map<string, GateView>();
  private readonly points = new Map<string, GatePoint[]>();
  private readonly lastEval = new Map<string, number>();

  /** Samples every active gate that was evaluated since the last call. */
  observe(state: EngineState): void {
    for (const g of state.gates) {
      const key = gateKey(g.stageId, g.id);
      this.views.set(key, g);
      const at = g.lastEvaluatedAt;
      if (at === undefined || this.lastEval.get(key) === at) continue;
      this.lastEval.set(key, at);
      let list = this.points.get(key);
      if (!list) this.points.set(key, (list = []));
      list.push({ at, value: numeric(g.value), display: g.display, state: g.state });
    }
  }

  /** One report per gate seen, in plan order: stages first, then plan-wide gates. */
  reports(plan: Plan, events: EngineEvent[], stages: StageReport[], windowEnd: number): GateReport[] {
    const changes = new Map<string, GateChange[]>();
    for (const e of events) {
      if (e.type !== 'gate.changed') continue;
      const key = gateKey(e.stageId, e.gateId);
      let list = changes.get(key);
      if (!list) changes.set(key, (list = []));
      list.push({ at: e.at, from: e.from, to: e.to, value: e.value, display: e.display, why: e.why, onFail: e.onFail });
    }
    const specs: Array<{ spec: GateSpec; stageId: string | null }> = [
      ...plan.stages.flatMap((s) => s.gates.map((spec) => ({ spec, stageId: s.id as string | null }))),
      ...plan.gates.map((spec) => ({ spec, stageId: null })),
    ];
    const out: GateReport[] = [];
    for (const { spec, stageId } of specs) {
      const key = gateKey(stageId, spec.id);
      const view = this.views.get(key);
      const timeline = changes.get(key) ?? [];
      if (!view && timeline.length === 0) continue; // its stage was never reached
      const activeUntil = activeEnd(stageId, stages, windowEnd);
      out.push(buildReport(plan, spec, stageId, view, timeline, this.points.get(key) ?? [], activeUntil));
    }
    return out;
  }
}

function buildReport(
  plan: Plan,
  spec: GateSpec,
  stageId: string | null,
  view: GateView | undefined,
  timeline: GateChange[],
  series: GatePoint[],
  activeUntil: (t: number) => number,
): GateReport {
  const kind = gateKind(spec);
  const mode = effectiveMode(plan.mode, spec.mode);
  const failT = spec.fail ?? defaultThresholds(spec);
  const warnT = spec.warn ?? [];
  const baseline = view?.baseline;
  const segments = segmentsOf(timeline, activeUntil);
  const timeInState: Partial<Record<GateState, number>> = {};
  for (const s of segments) timeInState[s.state] = (timeInState[s.state] ?? 0) + (s.to - s.from);
  const last = timeline.at(-1);
  return {
    key: gateKey(stageId, spec.id),
    id: spec.id,
    stageId,
    title: spec.title ?? spec.id,
    kind,
    subject: gateSubject(spec),
    onFail: view?.onFail ?? effectiveOnFail({ spec, mode }),
    mode,
    ...(spec.unit ? { unit: spec.unit } : {}),
    fail: view?.fail ?? failT.map((t) => t.text),
    warn: view?.warn ?? warnT.map((t) => t.text),
    failLines: numericTargets(failT, baseline),
    warnLines: numericTargets(warnT, baseline),
    timeline,
    series,
    segments,
    finalState: view?.state ?? last?.to ?? (mode === 'off' ? 'off' : 'no data'),
    finalDisplay: view?.display ?? last?.display ?? '–',
    finalWhy: view?.why ?? last?.why ?? '',
    worst: worstOf(series, failT, spec),
    reached: reachedOf(timeline, series),
    timeInState,
    failingMs: timeInState.failing ?? 0,
    evaluations: series.length,
  };
}

function defaultThresholds(spec: GateSpec): Threshold[] {
  const d = defaultFail(spec);
  const t = d ? parseThreshold(d) : undefined;
  return t ? [t] : [];
}

function numericTargets(ts: Threshold[], baseline: number | undefined): number[] {
  return ts.map((t) => thresholdTarget(t, baseline)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** When a gate stops being evaluated after time t: the end of its stage's visit, or the window's end. */
function activeEnd(stageId: string | null, stages: StageReport[], windowEnd: number): (t: number) => number {
  if (stageId === null) return () => windowEnd;
  const visits = stages.find((s) => s.id === stageId)?.visits ?? [];
  return (t) => {
    const v = visits.find((x) => x.enteredAt <= t && t < (x.leftAt ?? Infinity));
    return Math.min(v?.leftAt ?? windowEnd, windowEnd);
  };
}

function segmentsOf(timeline: GateChange[], activeUntil: (t: number) => number): GateSegment[] {
  return timeline.map((c, i) => {
    const next = timeline[i + 1]?.at ?? Infinity;
    return { from: c.at, to: Math.max(c.at, Math.min(next, activeUntil(c.at))), state: c.to };
  });
}

/** The most severe state the gate changed to (or was evaluated in) during the window. */
function reachedOf(timeline: GateChange[], series: GatePoint[]): GateState {
  let out: GateState | undefined;
  for (const st of [...timeline.map((c) => c.to), ...series.map((p) => p.state)]) if (out === undefined || SEVERITY[st] > SEVERITY[out]) out = st;
  return out ?? 'no data';
}

/** The worst value: the extreme in the failing direction when the thresholds have one, else the value at the worst state. */
function worstOf(series: GatePoint[], fail: Threshold[], spec: GateSpec): GateReport['worst'] {
  const up = fail.some((t) => t.op === '>' || t.op === '>=');
  const down = fail.some((t) => t.op === '<' || t.op === '<=');
  let best: GatePoint | undefined;
  if (up !== down) {
    for (const p of series) {
      if (p.value === null) continue;
      if (!best || (up ? p.value > best.value! : p.value < best.value!)) best = p;
    }
  }
  if (!best) {
    for (const p of series) if (!best || SEVERITY[p.state] > SEVERITY[best.state]) best = p;
  }
  if (!best) return undefined;
  return { at: best.at, display: best.value === null ? best.display : best.display || displayValue(best.value, spec.unit), state: best.state };
}
