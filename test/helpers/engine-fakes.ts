/** In-memory sources for engine unit tests: a scriptable Prometheus and node poller. */
import { ManualClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import type { LoadedPlan } from '../../src/plan/load.js';
import { planSchema, type PlanInput } from '../../src/plan/schema.js';
import { PromError, type NodePoller, type NodeProbe, type NodeStatus, type PromAlert, type PromClient, type PromQueryResult, type PromRule } from '../../src/sources/types.js';

export type QueryAnswer = number | number[] | PromError | 'empty' | ((time?: number) => number | number[] | PromError | 'empty');

export class FakeProm implements PromClient {
  readonly url = 'http://fake-prometheus';
  answers = new Map<string, QueryAnswer>();
  alertList: PromAlert[] = [];
  seriesList: Array<Record<string, string>> = [];
  /** Alerting rules /api/v1/rules lists (by name), beside whole rules in ruleList. */
  ruleNames: string[] = [];
  ruleList: PromRule[] = [];
  down: PromError | null = null;
  queries: Array<{ expr: string; time?: number }> = [];

  set(expr: string, a: QueryAnswer): this {
    this.answers.set(expr, a);
    return this;
  }

  async query(expr: string, opts?: { time?: number }): Promise<PromQueryResult> {
    this.queries.push({ expr, time: opts?.time });
    if (this.down) throw this.down;
    let a = this.answers.get(expr);
    if (typeof a === 'function') a = a(opts?.time);
    if (a === undefined || a === 'empty') return { resultType: 'vector', samples: [], warnings: [] };
    if (a instanceof PromError) throw a;
    const values = Array.isArray(a) ? a : [a];
    return { resultType: 'vector', samples: values.map((value, i) => ({ labels: { node: `n${i}` }, value, timestamp: 0 })), warnings: [] };
  }

  async queryRange(expr: string, o: { start: number; end: number; stepMs: number }) {
    if (this.down) throw this.down;
    const series: Array<{ labels: Record<string, string>; values: Array<{ labels: Record<string, string>; value: number; timestamp: number }> }> = [];
    for (let t = o.start; t <= o.end; t += o.stepMs) {
      const a = this.answers.get(expr);
      const v = typeof a === 'function' ? a(t) : a;
      if (v === undefined || v === 'empty' || v instanceof PromError) continue;
      (Array.isArray(v) ? v : [v]).forEach((value, i) => {
        series[i] ??= { labels: { node: `n${i}` }, values: [] };
        series[i]!.values.push({ labels: { node: `n${i}` }, value, timestamp: t });
      });
    }
    return series;
  }

  async alerts(): Promise<PromAlert[]> {
    if (this.down) throw this.down;
    return this.alertList;
  }

  async series(): Promise<Array<Record<string, string>>> {
    if (this.down) throw this.down;
    return this.seriesList;
  }

  async rules(): Promise<PromRule[]> {
    if (this.down) throw this.down;
    return [...this.ruleList, ...this.ruleNames.map((name) => ({ name, type: 'alerting' as const, group: 'g', query: 'vector(1)' }))];
  }

  async ready(): Promise<boolean> {
    return !this.down;
  }
}

/** A node poller whose answers the test sets: ok, failing, or a health body. */
export class FakeNodes implements NodePoller {
  bodies = new Map<string, unknown>();
  failing = new Set<string>();
  /** The body a failing node answers with (a 503 with JSON), if any. */
  failBodies = new Map<string, unknown>();
  private st: NodeStatus[];
  constructor(
    names: string[],
    private clock: ManualClock,
  ) {
    this.st = names.map((name) => ({ name, url: `http://${name}`, up: null, consecutiveFailures: 0, breaker: 'closed' }));
  }
  async poll(): Promise<NodeProbe[]> {
    const at = this.clock.now();
    return this.st.map((n) => {
      const ok = !this.failing.has(n.name);
      const body = this.bodies.get(n.name) ?? { status: 'ok' };
      const probe: NodeProbe = { node: n.name, at, sent: true, ok, status: ok ? 200 : 503, body: ok ? body : this.failBodies.get(n.name), error: ok ? undefined : 'HTTP 503' };
      n.up = ok;
      n.consecutiveFailures = ok ? 0 : n.consecutiveFailures + 1;
      n.last = probe;
      if (ok) {
        n.lastOkAt = at;
        n.lastBody = body;
      }
      return probe;
    });
  }
  status(): NodeStatus[] {
    return this.st.map((n) => ({ ...n }));
  }
  async close(): Promise<void> {}
}

export function loaded(input: PlanInput): LoadedPlan {
  return { plan: planSchema.parse(input), file: '/plans/test.yaml', dir: '/plans' };
}

export function makeEngine(input: PlanInput, opts: { clock?: ManualClock; prom?: FakeProm; nodes?: string[]; files?: Record<string, string>; exit?: (argv: string[]) => number; backfillOnStart?: boolean } = {}) {
  const clock = opts.clock ?? new ManualClock();
  const prom = opts.prom ?? new FakeProm();
  const lp = loaded(input);
  const nodes = new FakeNodes(opts.nodes ?? lp.plan.nodes.map((n) => n.name), clock);
  const deepNodes = new FakeNodes(lp.plan.nodes.filter((n) => n.deep).map((n) => n.name), clock);
  const commands: string[][] = [];
  const engine = new Engine({
    loaded: lp,
    clock,
    prometheus: lp.plan.prometheus ? prom : null,
    nodes,
    deepNodes: lp.plan.nodes.some((n) => n.deep) ? deepNodes : null,
    backfillOnStart: opts.backfillOnStart,
    readFile: async (p) => {
      const f = opts.files?.[p];
      if (f === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return f;
    },
    runCommand: async (argv) => {
      commands.push(argv);
      return { exitCode: opts.exit ? opts.exit(argv) : 0, timedOut: false, durationMs: 5, tail: 'done' };
    },
  });
  return { engine, clock, prom, nodes, deepNodes, commands };
}

export const PROM = { url: 'http://127.0.0.1:9090' };
