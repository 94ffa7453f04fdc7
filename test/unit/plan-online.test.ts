import { describe, expect, it } from 'vitest';
import { parsePlanText } from '../../src/plan/load.js';
import { validateOnline } from '../../src/plan/validate-online.js';
import { PromError } from '../../src/sources/types.js';
import { FakeProm } from '../helpers/engine-fakes.js';

const PLAN = `service: s
prometheus: { url: "http://127.0.0.1:9090" }
gates:
  - { id: shared, query: 'sum(rate(a_total[5m])) / sum(rate(a_total[5m]))', fail: "> 1" }
stages:
  - id: one
    gates:
      - { id: al, alert: Known }
      - { id: q, query: 'max(b{x="1"})', fail: "> 1" }
  - id: two
    gates:
      - { id: al, alert: Known }
`;

class CountingProm extends FakeProm {
  seriesCalls: string[][] = [];
  override async series(match: string[] = []): Promise<Array<Record<string, string>>> {
    this.seriesCalls.push(match);
    if (this.down) throw this.down;
    return match[0] === 'a_total' ? [{ __name__: 'a_total' }] : [];
  }
}

describe('validateOnline (the logic; the real Prometheus run is test/integration/validate-online.test.ts)', () => {
  it('asks each selector once however many gates use it, in a bounded range', async () => {
    const prom = new CountingProm();
    prom.ruleList = [{ name: 'Known', type: 'alerting', group: 'g', query: 'up == 0' }];
    const r = await validateOnline(parsePlanText(PLAN, 'p.yaml', '/tmp').plan, prom, { now: 10_000_000 });
    expect(r.failure).toBeUndefined();
    expect(prom.seriesCalls.sort()).toEqual([['a_total'], ['b'], ['b{x="1"}']]);
    expect(r.checked).toEqual({ alerts: 2, queries: 2, selectors: 3 });
    expect(r.findings).toEqual([
      { path: ['stages', 0, 'gates', 1, 'query'], index: 4, message: 'no series match b{x="1"} in the last 1h: a misspelled metric, or one not exported yet' },
    ]);
  });

  it('Prometheus unreachable: one failure, no findings made up from it', async () => {
    const prom = new CountingProm();
    prom.down = new PromError('unreachable', 'Prometheus /api/v1/rules: http://127.0.0.1:9090/api/v1/rules is unreachable (ECONNREFUSED)');
    const r = await validateOnline(parsePlanText(PLAN, 'p.yaml', '/tmp').plan, prom, { now: 10_000_000 });
    expect(r.failure).toMatch(/unreachable/);
    expect(r.findings).toEqual([]);
  });

  it('an alert that matches no rule is named, with the closest rule', async () => {
    const prom = new CountingProm();
    prom.ruleList = [{ name: 'Knwn', type: 'alerting', group: 'g', query: 'up == 0' }];
    const r = await validateOnline(parsePlanText(PLAN, 'p.yaml', '/tmp').plan, prom, { now: 10_000_000 });
    expect(r.findings.filter((f) => f.path.at(-1) === 'alert').map((f) => f.message)).toEqual([
      'Prometheus has no alerting rule named "Known" (1 alerting rule loaded): this gate would never see it fire; did you mean "Knwn"?',
      'Prometheus has no alerting rule named "Known" (1 alerting rule loaded): this gate would never see it fire; did you mean "Knwn"?',
    ]);
  });

  it('alert: "*" (any alert firing) names no rule: it is not reported as a missing one', async () => {
    const prom = new CountingProm();
    prom.ruleList = [{ name: 'Known', type: 'alerting', group: 'g', query: 'up == 0' }];
    const plan = PLAN.replace(/alert: Known \}\n$/, 'alert: "*" }\n');
    expect(plan).toContain('alert: "*"');
    const r = await validateOnline(parsePlanText(plan, 'p.yaml', '/tmp').plan, prom, { now: 10_000_000 });
    expect(r.findings.filter((f) => f.path.at(-1) === 'alert')).toEqual([]);
    expect(r.checked.alerts).toBe(1);
  });
});
