/**
 * Records realistic deploy windows for the report tests, the way the
 * cockpit does: a real Engine on fake sources, driven by the Scheduler on a
 * ManualClock, written by the Recorder; action, override and notification
 * events are emitted with the shapes the session gives them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ManualClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import type { EngineEvent, OverrideFields } from '../../src/engine/types.js';
import { parsePlanText } from '../../src/plan/load.js';
import { Recorder } from '../../src/record/recorder.js';
import { FakeNodes, FakeProm } from '../helpers/engine-fakes.js';

export type Scenario = 'rollback' | 'pass' | 'fail' | 'interrupted' | 'complete' | 'failed-rollback' | 'step-back';

export const SECRET = 'xoxb-s3cr3t-slack-token';
export const XSS_REASON = 'p99 is a known cold-cache blip <script>alert(1)</script> & "ok" per INC-42';

export const planText = stringify({
  service: 'dhash',
  environment: 'production',
  description: 'Image hash service: canary 10 %, then half, then everyone',
  prometheus: { url: 'http://127.0.0.1:9090', tokenEnv: 'PROM_TOKEN' },
  nodes: [
    { name: 'web-1', url: 'http://127.0.0.1:1' },
    { name: 'web-2', url: 'http://127.0.0.1:2' },
  ],
  polling: { window: '12m', phases: [{ for: '2m', every: '10s' }, { every: '30s' }], hot: '5s', jitter: 0 },
  stages: [
    {
      id: 'canary-10',
      bake: '1m',
      gates: [
        { id: 'error-rate', title: 'Extraction failure rate', query: 'sum(rate(dhash_failures_total[5m])) / sum(rate(dhash_total[5m]))', fail: '> 0.05', warn: '> 0.03', for: '20s', onFail: 'rollback', unit: 'ratio' },
        { id: 'p99-latency', title: 'p99 latency', query: 'dhash_p99_ms', fail: '> 250', warn: '> 200', unit: 'ms', onFail: 'block' },
        { id: 'health', health: { consecutiveFailures: 2 }, onFail: 'block' },
      ],
      promote: { run: ['./scripts/deploy.sh', '--env', 'production'] },
      rollback: { run: ['./scripts/rollback.sh', '--env', 'production'] },
    },
    {
      id: 'half-50',
      bake: '2m',
      gates: [
        { id: 'error-rate-50', title: 'Extraction failure rate at 50 %', query: 'sum(rate(dhash_failures_total[5m])) / sum(rate(dhash_total[5m]))', fail: '> 0.05', warn: '> 0.03', for: '20s', onFail: 'rollback', unit: 'ratio' },
        { id: 'health-50', health: { consecutiveFailures: 2 }, onFail: 'block' },
      ],
      promote: { run: ['./scripts/deploy.sh', '--env', 'production', '--all'] },
      rollback: {
        steps: [
          { name: 'drain', run: ['./scripts/drain.sh'] },
          { name: 'previous-tag', run: ['./scripts/rollback.sh', '--tag', 'previous'] },
          { name: 'verify', run: ['./scripts/verify.sh'] },
        ],
      },
    },
    { id: 'full' },
  ],
  gates: [{ id: 'budget-burn-alert', alert: 'HighErrorBudgetBurn', onFail: 'alert' }],
  notify: [
    { kind: 'slack', urlEnv: 'SLACK_WEBHOOK_URL' },
    { kind: 'teams', urlEnv: 'TEAMS_WEBHOOK_URL' },
    { kind: 'file', path: 'monitor_logs/notification_fallback.jsonl' },
  ],
});

export interface RecordedWindow {
  file: string;
  /** Every event the live engine emitted, unbounded, in order. */
  live: EngineEvent[];
}

type Act = (ctx: { engine: Engine; prom: FakeProm; nodes: FakeNodes }) => void;

const RUN = ['./scripts/deploy.sh', '--env', 'production'];

/**
 * Records one 12-minute window of the scenario and returns the file. The complete one stops at 5 min,
 * after the rollout reached its final stage; the interrupted one at 3m20s, in half-50.
 */
export async function recordWindow(dir: string, scenario: Scenario, name = `${scenario}.ndjson`): Promise<RecordedWindow> {
  const planFile = join(dir, 'dhash.plan.yaml');
  await writeFile(planFile, planText);
  const loaded = parsePlanText(planText, planFile, dir);
  const clock = new ManualClock();
  const prom = new FakeProm();
  prom.ruleNames = ['HighErrorBudgetBurn']; // the plan's alert gate names a rule Prometheus has
  const nodes = new FakeNodes(['web-1', 'web-2'], clock);
  const engine = new Engine({ loaded, clock, prometheus: prom, nodes, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
  const file = join(dir, name);
  const rec = new Recorder(file, [SECRET]);
  rec.attach(engine, { planFile, planText, operator: 'alice' });
  const live: EngineEvent[] = [];
  engine.on((e) => live.push(e));

  let err = 0.01;
  let p99 = 120;
  prom.set('sum(rate(dhash_failures_total[5m])) / sum(rate(dhash_total[5m]))', () => err);
  prom.set('dhash_p99_ms', () => p99);

  const script = new Map<number, Act[]>();
  const at = (t: number, a: Act) => script.set(t, [...(script.get(t) ?? []), a]);
  const blocked = scenario === 'rollback' || scenario === 'failed-rollback';

  if (blocked) {
    at(30, () => (p99 = 230));
    at(50, () => (p99 = 270));
    at(80, ({ prom }) => {
      prom.alertList = [{ name: 'HighErrorBudgetBurn', state: 'firing', labels: { alertname: 'HighErrorBudgetBurn', severity: 'critical' }, annotations: { summary: 'error budget burning 14x' } }];
    });
    at(90, ({ engine }) => overridePromote(engine, 'canary-10', 'half-50'));
  } else {
    at(70, ({ engine }) => promoteStart(engine, 'canary-10', 'half-50', undefined));
  }
  at(102, ({ engine }) => promoteFinish(engine, 'canary-10', 1));
  at(110, () => (p99 = 150));
  at(140, ({ prom }) => (prom.alertList = []));
  at(150, ({ nodes }) => nodes.failing.add('web-2'));
  at(175, ({ nodes }) => nodes.failing.delete('web-2'));
  if (blocked) {
    at(300, () => (err = 0.09));
    at(380, () => (err = 0.012));
  } else if (scenario === 'step-back') {
    // The operator moves the rollout back to the canary stage by hand.
    at(300, ({ engine }) => engine.dispatch({ type: 'entered-stage', index: 0, by: 'rollback' }));
  } else if (scenario === 'fail') {
    // web-1 goes down for good late in half-50: the health gate blocks when the window ends.
    at(600, ({ nodes }) => nodes.failing.add('web-1'));
  } else {
    at(260, ({ engine }) => promoteStart(engine, 'half-50', 'full', 'half-50 baked clean'));
    at(272, ({ engine }) => promoteFinish(engine, 'half-50', 2));
  }

  // Auto-rollback, as the session does it: a rollback.requested starts the rollback action.
  let rollbackWanted: string | undefined;
  engine.on((e) => {
    if (e.type === 'rollback.requested' && e.auto) rollbackWanted ??= `auto: ${e.reason}`;
  });

  const sched = new Scheduler(engine, clock, { random: () => 0.5 });
  sched.start();
  // Long enough for the last window (opened by the last promote or rollback, 12 minutes) to complete.
  const seconds = scenario === 'complete' ? 300 : scenario === 'interrupted' ? 200 : 1080;
  let rollbackStarted = -1;
  for (let t = 0; t < seconds; t++) {
    for (const act of script.get(t) ?? []) act({ engine, prom, nodes });
    if (rollbackWanted && rollbackStarted < 0) {
      rollbackStarted = t;
      rollbackStart(engine, 'half-50', rollbackWanted);
    }
    if (rollbackStarted >= 0 && t === rollbackStarted + 11) rollbackFinish(engine, 'half-50', scenario === 'failed-rollback');
    await clock.advance(1_000);
  }
  sched.stop();
  await rec.close();
  return { file, live };
}

function overridePromote(engine: Engine, stageId: string, target: string): void {
  const fields: OverrideFields = { manual_override: true, override_acknowledged: true, override_reason: XSS_REASON };
  engine.emit({ type: 'override', stageId, operator: 'alice', blockers: ['p99-latency'], fields });
  engine.emit({ type: 'notify.delivery', outcome: 'delivered', channel: 'slack', notificationId: 'n-override', attempt: 1 });
  engine.emit({ type: 'notify.delivery', outcome: 'retry', channel: 'teams', notificationId: 'n-override', attempt: 1, error: 'HTTP 503' });
  engine.emit({ type: 'notify.delivery', outcome: 'delivered', channel: 'teams', notificationId: 'n-override', attempt: 2 });
  promoteStart(engine, stageId, target, XSS_REASON, fields);
}

function promoteStart(engine: Engine, stageId: string, target: string, reason: string | undefined, override?: OverrideFields): void {
  engine.emit({ type: 'action.started', action: 'promote', stageId, operator: 'alice', ...(reason ? { reason } : {}), auto: false, dryRun: false, ...(override ? { override } : {}) });
  const out = (stream: 'stdout' | 'stderr' | 'flightdeck', text: string) => engine.emit({ type: 'action.output', action: 'promote', step: 'promote', stream, text });
  out('flightdeck', `promote of stage ${stageId} -> ${target} by alice${reason ? `: ${reason}` : ''}`);
  out('flightdeck', `$ ${RUN.join(' ')}`);
  out('stdout', `deploying dhash 2.4.1 to ${target} (token ${SECRET})`);
}

function promoteFinish(engine: Engine, stageId: string, nextIndex: number): void {
  const out = (stream: 'stdout' | 'flightdeck', text: string) => engine.emit({ type: 'action.output', action: 'promote', step: 'promote', stream, text });
  out('stdout', 'rollout complete: 12/12 pods ready');
  out('flightdeck', 'step ok (12s)');
  engine.emit({ type: 'action.finished', action: 'promote', stageId, ok: true, durationMs: 12_000, steps: [{ name: 'promote', status: 'ok', exitCode: 0 }], summary: 'promote ok in 12s' });
  engine.emit({ type: 'notify.delivery', outcome: 'delivered', channel: 'slack', notificationId: `n-promote-${stageId}`, attempt: 1 });
  engine.dispatch({ type: 'entered-stage', index: nextIndex, by: 'promote' });
}

function rollbackStart(engine: Engine, stageId: string, reason: string): void {
  engine.emit({ type: 'action.started', action: 'rollback', stageId, operator: 'alice', reason, auto: true, dryRun: false });
  engine.emit({ type: 'action.output', action: 'rollback', step: 'drain', stream: 'flightdeck', text: '$ ./scripts/drain.sh' });
  engine.emit({ type: 'action.output', action: 'rollback', step: 'drain', stream: 'stdout', text: 'draining half-50: 6 nodes' });
  engine.emit({ type: 'action.output', action: 'rollback', step: 'drain', stream: 'flightdeck', text: 'step ok (2s)' });
  engine.emit({ type: 'action.output', action: 'rollback', step: 'previous-tag', stream: 'flightdeck', text: '$ ./scripts/rollback.sh --tag previous' });
}

function rollbackFinish(engine: Engine, stageId: string, fails: boolean): void {
  const out = (step: string, stream: 'stdout' | 'stderr' | 'flightdeck', text: string) => engine.emit({ type: 'action.output', action: 'rollback', step, stream, text });
  if (fails) {
    out('previous-tag', 'stderr', 'error: tag "previous" not found in registry');
    out('previous-tag', 'flightdeck', 'step failed: exit 3 (9s)');
  } else {
    out('previous-tag', 'stdout', 'rolled back to dhash 2.4.0');
    out('previous-tag', 'flightdeck', 'step ok (1m5s)');
    out('verify', 'flightdeck', '$ ./scripts/verify.sh');
    out('verify', 'flightdeck', 'step ok (250ms)');
  }
  const steps = fails
    ? [{ name: 'drain', status: 'ok', exitCode: 0 }, { name: 'previous-tag', status: 'failed', exitCode: 3 }, { name: 'verify', status: 'skipped', exitCode: null }]
    : [{ name: 'drain', status: 'ok', exitCode: 0 }, { name: 'previous-tag', status: 'ok', exitCode: 0 }, { name: 'verify', status: 'ok', exitCode: 0 }];
  engine.emit({ type: 'action.finished', action: 'rollback', stageId, ok: !fails, durationMs: fails ? 11_000 : 67_250, steps, summary: fails ? "rollback failed at step 'previous-tag' (exit 3)" : 'rollback ok in 1m7s' });
  engine.emit({ type: 'notify.delivery', outcome: 'delivered', channel: 'slack', notificationId: 'n-rollback', attempt: 1 });
  engine.emit({ type: 'notify.delivery', outcome: 'failed', channel: 'teams', notificationId: 'n-rollback', attempt: 5, error: 'HTTP 500 from webhook' });
  engine.emit({ type: 'notify.delivery', outcome: 'fallback', channel: 'file', notificationId: 'n-rollback', attempt: 1 });
  if (!fails) engine.dispatch({ type: 'rolled-back' });
}

/**
 * A window longer than the engine keeps in memory: polled every second, one
 * gate flapping between ok and warn at every poll, so both the gate's history
 * (360 samples) and the engine's event list (500) overflow.
 */
export async function recordLongWindow(dir: string, seconds: number): Promise<RecordedWindow> {
  const text = stringify({
    service: 'flappy',
    prometheus: { url: 'http://127.0.0.1:9090' },
    polling: { window: `${seconds}s`, phases: [{ every: '1s' }], hot: '1s', jitter: 0 },
    stages: [{ id: 'only', gates: [{ id: 'flap', query: 'flap', fail: '> 0.9', warn: '> 0.5', onFail: 'block' }] }],
  });
  const planFile = join(dir, 'flappy.yaml');
  await writeFile(planFile, text);
  const clock = new ManualClock();
  const prom = new FakeProm();
  let n = 0;
  prom.set('flap', () => (n++ % 2 === 0 ? 0.2 : 0.7));
  const engine = new Engine({ loaded: parsePlanText(text, planFile, dir), clock, prometheus: prom, nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
  const file = join(dir, 'long.ndjson.gz');
  const rec = new Recorder(file);
  rec.attach(engine, { planFile, planText: text });
  const live: EngineEvent[] = [];
  engine.on((e) => live.push(e));
  const sched = new Scheduler(engine, clock, { random: () => 0.5 });
  sched.start();
  for (let t = 0; t <= seconds + 2; t++) await clock.advance(1_000);
  sched.stop();
  await rec.close();
  return { file, live };
}
