/**
 * Condition and health apart (issue 11): an error or no-data evaluation neither
 * passes nor resets a breach already held; errors past `errorLimit` apply the
 * gate's `onError`. Every rule runs on a fake clock, side by side with a
 * reference model of Prometheus's alerting rule (rules/alerting.go, Eval):
 *
 *   res, err := query(ctx, r.vector.String(), ts)
 *   if err != nil { r.SetHealth(HealthBad); ...; return nil, err }   // active alerts untouched
 *   ...
 *   if _, ok := resultFPs[fp]; !ok {                                  // no sample: the alert is resolved,
 *       if a.State == StatePending { delete(r.active, fp) }          // a pending one deleted
 *   ...
 *   if a.State == StatePending && ts.Sub(a.ActiveAt) >= r.holdDuration { a.State = StateFiring }
 *
 * So: a failed evaluation keeps a pending alert (Flightdeck agrees); an empty
 * result resets it (Flightdeck deliberately does not: a metric that vanishes
 * mid-incident must not restart an auto-rollback's clock).
 */
import { describe, expect, it } from 'vitest';
import { PromError } from '../../src/sources/types.js';
import { FakeProm, makeEngine, PROM } from '../helpers/engine-fakes.js';

const Q = 'sum(rate(errors[5m])) / sum(rate(requests[5m]))';
const STEP = 30_000;
type Ev = number | 'empty' | 'error';

/** Prometheus's alerting rule for `Q > threshold` with `for: holdMs`, one series, as alerting.go evaluates it. */
function prometheusRule(evals: Ev[], threshold: number, holdMs: number): string[] {
  let active: { activeAt: number; state: 'pending' | 'firing' } | undefined;
  return evals.map((e, i) => {
    const ts = i * STEP;
    if (e === 'error') return active?.state ?? 'inactive'; // Eval returns before touching r.active
    if (e === 'empty' || !(e > threshold)) {
      active = undefined; // pending deleted, firing resolved
      return 'inactive';
    }
    active ??= { activeAt: ts, state: 'pending' };
    if (active.state === 'pending' && ts - active.activeAt >= holdMs) active.state = 'firing';
    return active.state;
  });
}

function plan(gate: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { service: 'svc', prometheus: PROM, stages: [{ id: 'canary', gates: [{ id: 'g', query: Q, fail: '> 0.05', ...gate }], rollback: { run: ['./rb.sh'] } }], ...extra };
}

async function run(gate: Record<string, unknown>, evals: Ev[], extra: Record<string, unknown> = {}) {
  const prom = new FakeProm();
  const h = makeEngine(plan(gate, extra), { prom });
  const seen: Array<{ state: string; condition?: string; why: string; blocks: boolean; held?: number }> = [];
  for (const e of evals) {
    prom.set(Q, e === 'error' ? new PromError('timeout', 'Prometheus /api/v1/query: timed out after 5s') : e);
    await h.engine.poll();
    const g = h.engine.getState().gates[0]!;
    seen.push({ state: g.state, condition: g.condition, why: g.why, blocks: g.blocks, held: g.breachSince === undefined ? undefined : h.clock.now() - g.breachSince });
    await h.clock.advance(STEP);
  }
  return { seen, states: seen.map((s) => s.state), ...h };
}

/** Flightdeck's states in Prometheus's words: the condition, which an error or no data does not change. */
const asProm = (s: { state: string; condition?: string }) => {
  const c = s.state === 'error' || s.state === 'no data' ? (s.condition ?? 'ok') : s.state;
  return c === 'failing' ? 'firing' : c === 'pending' ? 'pending' : 'inactive';
};

describe('a failed evaluation keeps a breach (as Prometheus keeps a pending alert)', () => {
  it('one Prometheus timeout mid-breach: error shown with the breach held, failing at `for` + one interval as if it had not happened', async () => {
    const evals: Ev[] = [0.07, 0.07, 'error', 0.07, 0.07];
    const { seen, states } = await run({ for: '1m' }, evals);
    expect(states).toEqual(['pending', 'pending', 'error', 'failing', 'failing']);
    expect(seen[2]!.condition).toBe('pending');
    expect(seen[2]!.held).toBe(60_000);
    expect(seen[2]!.why).toMatch(/timed out after 5s — pending kept: breach held 1m of 1m/);
    expect(seen[2]!.blocks).toBe(true);
    // Prometheus: the same rule fires at the same evaluation.
    expect(seen.map(asProm)).toEqual(prometheusRule(evals, 0.05, 60_000));
    expect(prometheusRule(evals, 0.05, 60_000)).toEqual(['pending', 'pending', 'pending', 'firing', 'firing']);
  });

  it('a flapping Prometheus cannot postpone a rollback: every other evaluation errors and the gate still fails on time', async () => {
    const evals: Ev[] = [0.07, 'error', 0.07, 'error', 0.07, 'error', 0.07];
    const { states, engine } = await run({ for: '1m', onFail: 'rollback' }, evals);
    expect(states).toEqual(['pending', 'error', 'failing', 'error', 'failing', 'error', 'failing']);
    expect(prometheusRule(evals, 0.05, 60_000)).toEqual(['pending', 'pending', 'firing', 'firing', 'firing', 'firing', 'firing']);
    const reqs = engine.getState().events.filter((e) => e.type === 'rollback.requested');
    expect(reqs).toHaveLength(1);
    expect(reqs[0]).toMatchObject({ at: 60_000 + engine.windowStart });
  });

  it('an error does not count as a breaching probe, nor reset the count (forProbes)', async () => {
    const { states, engine } = await run({ fail: '>= 0.9', forProbes: 3 }, [0.95, 'error', 0.95, 'error', 0.95]);
    expect(states).toEqual(['pending', 'error', 'pending', 'error', 'failing']);
    expect(engine.getState().gates[0]!.consecutiveBreaches).toBe(3);
  });

  it('a failing gate whose source then errors keeps its alert firing (no resolve/re-fire) and still blocks', async () => {
    const { engine, states } = await run({}, [0.09, 'error', 0.09]);
    expect(states).toEqual(['failing', 'error', 'failing']);
    const ev = engine.getState().events.filter((e) => (e.type === 'alert.firing' || e.type === 'alert.resolved') && e.name === 'gate g');
    expect(ev.map((e) => e.type)).toEqual(['alert.firing']);
  });

  it('a value that does not breach still resets the breach after an error', async () => {
    const evals: Ev[] = [0.07, 'error', 0.01, 0.07];
    const { seen } = await run({ for: '1m' }, evals);
    expect(seen.map((s) => s.state)).toEqual(['pending', 'error', 'ok', 'pending']);
    expect(seen.map(asProm)).toEqual(prometheusRule(evals, 0.05, 60_000));
  });
});

describe('how long a breach has held, as a pending gate says it', () => {
  it('never reads as long as `for` while the gate is still pending (5.8 s of 6 s is "5s of 6s", not "6s of 6s")', async () => {
    const prom = new FakeProm();
    const h = makeEngine(plan({ for: '6s' }), { prom });
    const whys: string[] = [];
    for (const e of [0.07, 0.07, 'error', 0.07, 0.07] as Ev[]) {
      prom.set(Q, e === 'error' ? new PromError('timeout', 'Prometheus /api/v1/query: timed out after 1s') : e);
      await h.engine.poll();
      whys.push(`${h.engine.getState().gates[0]!.state}: ${h.engine.getState().gates[0]!.why}`);
      await h.clock.advance(e === 'error' ? 100 : 2_900);
    }
    expect(whys).toEqual([
      'pending: 0.07 > 0.05 for 0s of 6s',
      'pending: 0.07 > 0.05 for 2s of 6s',
      'error: Prometheus /api/v1/query: timed out after 1s — pending kept: breach held 5s of 6s',
      'pending: 0.07 > 0.05 for 5s of 6s',
      'failing: 0.07 > 0.05 for 9s',
    ]);
  });
});

describe('no data keeps a breach too (where Flightdeck parts from Prometheus)', () => {
  it('an empty result mid-breach: Prometheus deletes the pending alert, Flightdeck keeps the breach and fails on time', async () => {
    const evals: Ev[] = [0.07, 0.07, 'empty', 0.07, 0.07];
    const { seen, states } = await run({ for: '1m' }, evals);
    expect(states).toEqual(['pending', 'pending', 'no data', 'failing', 'failing']);
    expect(seen[2]!.why).toMatch(/no series — pending kept: breach held 1m of 1m/);
    expect(prometheusRule(evals, 0.05, 60_000)).toEqual(['pending', 'pending', 'inactive', 'pending', 'pending']);
  });

  it('no data with a breach held blocks even when the gate says noData: pass', async () => {
    const { seen } = await run({ for: '1m', noData: 'pass' }, [0.07, 'empty']);
    expect(seen[1]).toMatchObject({ state: 'no data', condition: 'pending', blocks: true });
  });

  it('no data without a breach is still never ok, and noData: pass lets it through', async () => {
    expect((await run({}, ['empty'])).seen[0]).toMatchObject({ state: 'no data', blocks: true });
    expect((await run({ noData: 'pass' }, ['empty'])).seen[0]).toMatchObject({ state: 'no data', blocks: false });
  });
});

describe('errorLimit and onError', () => {
  it('an error blocks promotion at once (error for promotion purposes from the first one)', async () => {
    const { seen, engine } = await run({}, [0.01, 'error']);
    expect(seen[1]).toMatchObject({ state: 'error', condition: 'ok', blocks: true });
    expect(engine.getState().stages[0]!.promotable).toBe(false);
  });

  it('onError: rollback asks for a rollback at the errorLimit-th error in a row (default 3), not before, once', async () => {
    const { engine, seen } = await run({ onError: 'rollback' }, [0.01, 'error', 'error', 'error', 'error']);
    const reqs = engine.getState().events.filter((e) => e.type === 'rollback.requested');
    expect(reqs).toHaveLength(1);
    expect(reqs[0]).toMatchObject({ gateId: 'g', auto: true, at: engine.windowStart + 3 * STEP });
    expect(reqs[0]!.type === 'rollback.requested' && reqs[0]!.reason).toMatch(/3 errors in a row \(onError rollback\)/);
    expect(seen[3]!.why).toMatch(/3 errors in a row, limit 3 reached: on error rollback/);
  });

  it('an answer (a value or no data) resets the count: errors must be in a row', async () => {
    const { engine } = await run({ onError: 'rollback', errorLimit: 2 }, ['error', 0.01, 'error', 'empty', 'error']);
    expect(engine.getState().events.some((e) => e.type === 'rollback.requested')).toBe(false);
    expect(engine.getState().gates[0]!.consecutiveErrors).toBe(1);
  });

  it('errorLimit is per gate', async () => {
    const { engine } = await run({ onError: 'rollback', errorLimit: 1 }, ['error']);
    expect(engine.getState().events.filter((e) => e.type === 'rollback.requested')).toHaveLength(1);
  });

  it('an error blocks promotion at once, also on a noData: pass gate; onError: hold (default) raises an alert at the limit; no rollback', async () => {
    const { engine, seen } = await run({ noData: 'pass' }, ['error', 'error', 'error']);
    expect(seen.map((s) => s.blocks)).toEqual([true, true, true]);
    const st = engine.getState();
    expect(st.alerts.find((a) => a.name === 'gate g error')).toMatchObject({ source: 'flightdeck', severity: 'warning' });
    expect(st.events.some((e) => e.type === 'alert.firing' && e.name === 'gate g error')).toBe(true);
    expect(st.events.some((e) => e.type === 'rollback.requested')).toBe(false);
  });

  it('in warn mode onError: rollback only alerts', async () => {
    const { engine } = await run({ onError: 'rollback' }, ['error', 'error', 'error'], { mode: 'warn' });
    expect(engine.getState().events.some((e) => e.type === 'rollback.requested')).toBe(false);
  });

  it('the plan rejects an unknown onError and an errorLimit below 1', async () => {
    expect(() => makeEngine(plan({ onError: 'explode' }))).toThrow();
    expect(() => makeEngine(plan({ errorLimit: 0 }))).toThrow();
  });
});
