/**
 * `flightdeck watch PLAN`: the cockpit for a deploy window, or with --json
 * (or when stdout is not a terminal) a headless NDJSON stream of the same
 * events. Both run the same session: polling, auto-rollback, audit,
 * notifications, recording and self-metrics.
 */
import type { CockpitIntro } from '../ui-contract.js';
import type { LoadedPlan } from '../plan/load.js';
import { cockpitActions } from './cockpit-actions.js';
import { loadCockpit } from './load-cockpit.js';
import { openWatching, type OpenSession } from './open-session.js';
import { startupWarnings } from './validate.js';
import { releaseDeadTerminal, untilCockpitExits, watchTerminalLoss } from './terminal-loss.js';

export interface WatchFlags {
  readonly?: boolean;
  dryRun?: boolean;
  autoRollback?: boolean;
  json?: boolean;
  color?: boolean;
  ascii?: boolean;
  record?: string;
  metricsPort?: string;
  stage?: string;
  /** false (--no-guard): watch in this process instead of attaching to the plan's guard. */
  guard?: boolean;
}

export async function runWatch(loaded: LoadedPlan, f: WatchFlags): Promise<number> {
  const headless = f.json === true || !process.stdout.isTTY;
  if (f.guard !== false) return (await import('./watch-attached.js')).runAttached(loaded, f, headless);
  const opened = await openWatching(loaded, {
    readonly: f.readonly ?? false,
    dryRun: f.dryRun ?? false,
    autoRollback: f.autoRollback ?? true,
    stageId: f.stage,
    metricsPort: f.metricsPort,
    record: f.record,
  });
  const { session, runtime } = opened;
  // Names the plan uses that Prometheus does not know: shown when the answer comes, without delaying the start.
  void startupWarnings(loaded).then((ws) => {
    for (const text of ws) {
      if (headless) process.stdout.write(`${JSON.stringify({ type: 'warning', at: runtime.clock.now(), text })}\n`);
      else session.note({ text, level: 'warn' });
    }
  });
  return present(opened, { headless, color: f.color, ascii: f.ascii, dryRun: f.dryRun }, () => opened.close(), opened.warnings);
}

export interface PresentOptions {
  headless: boolean;
  color?: boolean;
  ascii?: boolean;
  dryRun?: boolean;
  /** What the cockpit is, shown when it opens (the demo's first screen). */
  intro?: CockpitIntro;
}

/** Runs a started session until the operator quits (cockpit) or a signal arrives (headless). */
export function present(opened: OpenSession, p: PresentOptions, finish: () => Promise<void>, warnings: string[] = []): Promise<number> {
  return p.headless ? runHeadless(opened, warnings, finish) : runCockpit(opened, p, finish);
}

async function runHeadless(opened: OpenSession, warnings: string[], finish: () => Promise<void>): Promise<number> {
  const { session, runtime } = opened;
  const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  for (const w of warnings) out({ type: 'warning', at: runtime.clock.now(), text: w });
  if (opened.metricsUrl) out({ type: 'metrics', at: runtime.clock.now(), url: opened.metricsUrl });
  let lost = false;
  runtime.engine.on((e) => {
    if (!lost) out(e);
  });
  session.start();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // SIGHUP (the SSH session dropped) or a closed pipe (| head): stop writing, end cleanly.
    watchTerminalLoss(() => {
      lost = true;
      resolve();
    });
  });
  await finish();
  if (lost) releaseDeadTerminal();
  return 0;
}

async function runCockpit(opened: OpenSession, f: PresentOptions, finish: () => Promise<void>): Promise<number> {
  const { session, runtime } = opened;
  const engine = runtime.engine;
  // Ink and React load only for the cockpit: `check`, `--json` and scripts start faster without them.
  const { renderCockpit } = await loadCockpit();
  const handle = renderCockpit({
    getState: () => engine.getState(),
    subscribe: (cb) => session.subscribe(cb),
    extras: () => session.extras(),
    now: () => runtime.clock.now(),
    readonly: session.readonly,
    noColor: f.color === false,
    ascii: f.ascii ?? false,
    actions: cockpitActions(session, { dryRun: f.dryRun ?? false }),
    onCommand: (c) => (c.type === 'refresh' ? session.refresh() : engine.dispatch(c)),
    onQuit: () => handle.unmount(),
    intro: f.intro,
  });
  session.start();
  // A dropped terminal (SIGHUP, EIO) quits like the quit key, without a stack trace: the session
  // stops (an action in flight is stopped and audited), nothing more is drawn.
  const { lost } = await untilCockpitExits(handle);
  await finish();
  if (lost) releaseDeadTerminal();
  return 0;
}
