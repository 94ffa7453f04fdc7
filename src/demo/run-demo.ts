/**
 * `flightdeck demo`: the real cockpit (or --json stream) against a simulated
 * fleet and a built-in Prometheus-compatible endpoint on 127.0.0.1, at
 * accelerated time, telling one of the scenarios. Nothing to set up: the
 * demo plan and its scripts are copied to a fresh directory, where the audit,
 * action logs and (with --record) the recording are left for afterwards.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScaledClock } from '../clock.js';
import { openSession } from '../cli/open-session.js';
import { present } from '../cli/watch.js';
import { parsePlanText, withOverrides } from '../plan/load.js';
import { Recorder } from '../record/recorder.js';
import { startFleet } from '../simulator/index.js';
import { startAutopilot } from './autopilot.js';
import { FIRST_STAGE_PERCENT, splitTraffic } from './traffic.js';
import { demoIntro } from './intro.js';
import { startDemoPrometheus } from './promlite/demo.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { startSwitchableProxy } from './switchable-proxy.js';

export interface DemoFlags {
  scenario?: string;
  speed?: string;
  nodes?: string;
  record?: string;
  json?: boolean;
  color?: boolean;
  ascii?: boolean;
  autopilot?: boolean;
  realPrometheus?: boolean;
  dir?: string;
}

/** The package's fixtures/demo/, found upwards from this module (it runs bundled from dist/ or as a source file). */
const DEMO_DIR = ((): string => {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    const demo = new URL('fixtures/demo/', dir);
    if (existsSync(demo) || dir.pathname === '/') return fileURLToPath(demo);
  }
})();

export async function runDemo(f: DemoFlags, say: (line: string) => void): Promise<number> {
  const scenario: Scenario | undefined = SCENARIOS[f.scenario ?? 'healthy'];
  if (!scenario) {
    say(`flightdeck demo: no scenario "${f.scenario}"; choose one of ${Object.keys(SCENARIOS).join(', ')}`);
    return 2;
  }
  let speed = Number(f.speed ?? '30');
  if (!(speed > 0 && speed <= 600)) {
    say('flightdeck demo: --speed takes a number from 1 to 600');
    return 2;
  }
  if (f.realPrometheus && speed !== 1) {
    say('flightdeck demo: a real Prometheus keeps real time, so --real-prometheus runs at --speed 1');
    speed = 1;
  }
  const nodes = Number(f.nodes ?? '6');
  const work = f.dir ?? (await mkdtemp(join(tmpdir(), 'flightdeck-demo-')));
  await cp(DEMO_DIR, work, { recursive: true });

  const clock = new ScaledClock(speed);
  const fleet = await startFleet({ nodes, service: 'checkout', clock, seed: 42, control: true, profile: { version: 'v1', requestRate: 40, errorRate: 0.004, saturation: 0.45, memoryRatio: 0.5 } });
  // The rollout starts in its first stage (canary-10), so its share already runs v2, as the plan's
  // own shift-traffic.mjs leaves it: without it the smoke gate of canary-10 checked no node at all.
  await splitTraffic(fleet, FIRST_STAGE_PERCENT);
  const cleanups: Array<() => Promise<void>> = [() => fleet.close()];
  try {
    const rulesYaml = await readFile(join(work, 'rules.yml'), 'utf8');
    let promUrl: string;
    if (f.realPrometheus) {
      const { startRealPrometheus } = await import('./real-prometheus.js');
      const real = await startRealPrometheus({ targets: [...fleet.targets], rulesFile: join(work, 'rules.yml'), dir: work });
      cleanups.push(() => real.stop());
      promUrl = real.url;
    } else {
      const lite = await startDemoPrometheus({ fleet, clock, scrapeIntervalMs: 5_000, rulesYaml });
      cleanups.push(() => lite.close());
      promUrl = lite.url;
    }
    const proxy = await startSwitchableProxy(promUrl);
    cleanups.push(() => proxy.close());

    const planFile = join(work, 'plan.yaml');
    const loaded = withOverrides(parsePlanText(await readFile(planFile, 'utf8'), planFile, work), { prometheusUrl: proxy.url, nodes: fleet.planNodes() });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FLIGHTDECK_DEMO_CONTROL: fleet.controlUrl!,
      ...(scenario.badRelease ? { FLIGHTDECK_DEMO_BAD: JSON.stringify(scenario.badRelease.fault), FLIGHTDECK_DEMO_BAD_FROM: String(scenario.badRelease.from) } : {}),
    };
    const opened = await openSession(loaded, { readonly: false, dryRun: false, autoRollback: true, clock, env });
    const { session, runtime } = opened;
    const line = (text: string) => session.note({ text });
    const recorder = f.record ? new Recorder(f.record, opened.secrets) : null;
    recorder?.attach(runtime.engine, { planFile, planText: await readFile(planFile, 'utf8'), operator: session.operatorName, speed });

    line(`demo "${scenario.name}" at ${speed}x: ${scenario.summary}`);
    line(`working directory ${work} (audit, action logs${f.record ? ', recording' : ''})`);
    const timers = scenario.steps.map((step) =>
      clock.setTimeout(() => {
        line(`scenario: ${step.say}`);
        void act(step.do);
      }, step.atMs),
    );
    const act = async (what: Scenario['steps'][number]['do']) => {
      if (what === 'node-down' || what === 'node-up') await fleet.setFault([2], { down: what === 'node-down' });
      if (what === 'prometheus-down' || what === 'prometheus-up') proxy.setUp(what === 'prometheus-up');
      if (what === 'saturate' || what === 'desaturate') await fleet.setFault('all', { saturation: what === 'saturate' ? 0.95 : 0.45 });
    };
    const autopilot = f.autopilot === false ? null : startAutopilot(session, clock, { overrideAfterMs: scenario.overrideAfterMs, say: line });

    const finish = async () => {
      autopilot?.stop();
      for (const t of timers) clock.clearTimeout(t);
      await opened.close();
      await recorder?.close();
    };
    const intro = demoIntro({ scenario, speed, nodes, autopilot: f.autopilot !== false, realPrometheus: f.realPrometheus === true });
    const code = await present(opened, { headless: f.json === true || !process.stdout.isTTY, color: f.color, ascii: f.ascii, intro }, finish);
    say(`demo over. Audit: ${join(work, 'monitor_logs/audit.jsonl')}${f.record ? `; recording: ${f.record} (try: flightdeck replay ${f.record}, flightdeck report ${f.record} --format html --out report.html)` : ''}`);
    return code;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}
