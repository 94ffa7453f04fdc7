/**
 * Opens a session on a plan for `watch`, `demo`, `promote` and `rollback`:
 * restores where the rollout stands, builds the runtime, the notifier and
 * the self-metrics, and collects the secrets every writer must mask.
 */
import { readFile } from 'node:fs/promises';
import { currentOperator } from '../audit/log.js';
import type { Clock } from '../clock.js';
import type { SelfMetrics } from '../metrics/self-metrics.js';
import { createNotifier, NotifierConfigError, type Notifier } from '../notify/index.js';
import type { LoadedPlan } from '../plan/load.js';
import type { NotifierSpec } from '../plan/schema.js';
import { Recorder } from '../record/recorder.js';
import { RolloutKeeper } from '../session/rollout-keeper.js';
import { Session } from '../session/session.js';
import { chooseStore } from '../store/choose.js';
import type { StateRead } from '../store/rollout-state.js';
import type { Store } from '../store/store.js';
import type { Engine } from '../engine/engine.js';
import { buildRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

export interface OpenOptions {
  readonly: boolean;
  dryRun: boolean;
  autoRollback: boolean;
  /** Start in this stage instead of the saved one. */
  stageId?: string;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** Serve Flightdeck's own metrics on 127.0.0.1:PORT. */
  metricsPort?: number;
  /** Warnings for the operator (a notifier that could not be configured, …). */
  warn?(text: string): void;
  /** Where the rollout state, lock and audit live (default: what the plan says, files beside it when it says nothing). */
  store?: Store;
  /** Whether the session may act now (a guard standing by: why not). */
  mayAct?: () => string | null;
  /** Whether the session sends notifications now (a guard standing by does not). */
  mayNotify?: () => boolean;
}

export interface OpenSession {
  session: Session;
  runtime: Runtime;
  /** What the store held when the session opened. */
  state: StateRead;
  notifier: Notifier | null;
  metrics: SelfMetrics | null;
  metricsUrl?: string;
  secrets: string[];
  close(): Promise<void>;
}

export async function openSession(loaded: LoadedPlan, o: OpenOptions): Promise<OpenSession> {
  const env = o.env ?? process.env;
  const plan = loaded.plan;
  const chosen = o.store ? null : await chooseStore(loaded, env);
  const store = o.store ?? chosen!.store;
  // A state that cannot be used is no fresh start: the session opens (to show the gates) but refuses every action.
  const state = await store.state.read();
  const restored = restoredFrom(state, o.stageId);
  const runtime = buildRuntime(loaded, { clock: o.clock, env, ...restored });
  const secrets = runtime.secrets;
  const notifier = makeNotifier(plan.notify, loaded, runtime, env, o.warn);
  let metrics: SelfMetrics | null = null;
  let metricsUrl: string | undefined;
  let metricsServer: { close(cb: () => void): void } | undefined;
  if (o.metricsPort !== undefined) {
    const { SelfMetrics } = await import('../metrics/self-metrics.js');
    metrics = new SelfMetrics({ service: plan.service, environment: plan.environment });
    const served = await metrics.serve(o.metricsPort);
    metricsUrl = served.url;
    metricsServer = served.server;
  }
  const session = new Session({
    loaded,
    runtime,
    env,
    operator: currentOperator(env),
    readonly: o.readonly,
    dryRun: o.dryRun,
    autoRollback: o.autoRollback,
    notifier,
    metrics,
    secrets,
    rollout: keeperFor(store, runtime.engine, loaded, state, o.stageId),
    ...(o.store || chosen?.postgres ? { store } : {}),
    ...(o.mayAct ? { mayAct: o.mayAct } : {}),
    ...(o.mayNotify ? { mayNotify: o.mayNotify } : {}),
  });
  if (state.status === 'ok' && restored.stageEnteredAt !== undefined) {
    session.note({ text: `resumed at stage ${state.state.stageId}${state.state.rolledBack ? ' (rolled back)' : ''}, saved by ${state.state.by}` });
  }
  return {
    session,
    runtime,
    state,
    notifier,
    metrics,
    metricsUrl,
    secrets,
    async close() {
      await session.stop();
      await chosen?.close();
      if (metricsServer) await new Promise<void>((r) => metricsServer!.close(() => r()));
    },
  };
}

/** What `watch --no-guard` and the guard watch with (their shared flags). */
export interface WatchingOptions {
  readonly: boolean;
  dryRun: boolean;
  autoRollback: boolean;
  stageId?: string;
  /** As given on the command line. */
  metricsPort?: string;
  /** Record every event to this file (--record). */
  record?: string;
  /** Where the state, lock and audit live (the guard chose it, to share it with its leadership). */
  store?: Store;
  mayAct?: () => string | null;
  mayNotify?: () => boolean;
}

/**
 * A session that watches: `openSession`, plus the recording (--record) and self-metrics
 * (--metrics-port) the watchers share. The start-up warnings are shown as lines of the session
 * and returned; `close` also ends the recording.
 */
export async function openWatching(loaded: LoadedPlan, o: WatchingOptions): Promise<OpenSession & { warnings: string[] }> {
  const warnings: string[] = [];
  const { metricsPort, record, ...rest } = o;
  const opened = await openSession(loaded, { ...rest, metricsPort: metricsPort !== undefined ? Number(metricsPort) : undefined, warn: (t) => warnings.push(t) });
  const { session, runtime } = opened;
  const recorder = record ? new Recorder(record, opened.secrets) : null;
  recorder?.attach(runtime.engine, { planFile: loaded.file, planText: await readFile(loaded.file, 'utf8'), operator: session.operatorName });
  for (const w of warnings) session.note({ text: w, level: 'warn' });
  if (opened.metricsUrl) session.note({ text: `self-metrics on ${opened.metricsUrl}` });
  return {
    ...opened,
    warnings,
    async close() {
      await opened.close();
      await recorder?.close();
    },
  };
}

/**
 * Where the engine starts from what the store held: the saved stage, its entry time, window and
 * baselines (when `stageId` asks for another stage, only the stage). An unusable state gives nothing:
 * the engine shows `stageId` or the first stage, and the session refuses every action.
 */
export function restoredFrom(state: StateRead, stageId?: string): Pick<RuntimeOptions, 'stageId' | 'stageEnteredAt' | 'rolledBack' | 'window' | 'baselines'> {
  const saved = state.status === 'ok' ? state.state : null;
  if (!saved || (stageId !== undefined && stageId !== saved.stageId)) return { stageId };
  return { stageId: saved.stageId, stageEnteredAt: saved.stageEnteredAt, rolledBack: saved.rolledBack, window: saved.window, baselines: saved.baselines };
}

/** The session's rollout keeper on this store. */
export function keeperFor(store: Store, engine: Engine, loaded: LoadedPlan, initial: StateRead, stageAsked?: string): (s: Session) => RolloutKeeper {
  return (s) =>
    new RolloutKeeper({ store: store.state, engine, loaded, operator: s.operatorName, initial, stageAsked, note: (n) => s.note(n), audit: (e) => s.auditNote(e) });
}

/** The plan's notifiers; one that cannot be configured (a missing variable) is left out with a warning, not fatal. */
function makeNotifier(specs: NotifierSpec[], loaded: LoadedPlan, runtime: Runtime, env: NodeJS.ProcessEnv, warn?: (t: string) => void): Notifier | null {
  if (specs.length === 0) return null;
  const fallbackFile = specs.find((s) => s.kind === 'file' && s.name === 'fallback')?.path ?? `${loaded.plan.logs.dir}/notification_fallback.jsonl`;
  const usable = specs.filter((spec) => {
    try {
      void createNotifier({ specs: [spec], env, planDir: loaded.dir, fallbackFile, clock: runtime.clock, transport: runtime.transport }).close();
      return true;
    } catch (err) {
      if (err instanceof NotifierConfigError) {
        warn?.(`notifier ${spec.name ?? spec.kind} left out: ${err.problems.map((p) => p.replace(/^notify\[\d+\] ("[^"]*" )?\([^)]*\): /, '')).join('; ')}`);
        return false;
      }
      throw err;
    }
  });
  return createNotifier({
    specs: usable,
    env,
    planDir: loaded.dir,
    fallbackFile,
    clock: runtime.clock,
    transport: runtime.transport,
    onDelivery: (ev) =>
      runtime.engine.emit({ type: 'notify.delivery', outcome: ev.type.slice('notify.'.length) as 'delivered' | 'retry' | 'failed' | 'fallback', channel: ev.channel, notificationId: ev.notificationId, attempt: ev.attempt, error: ev.error }),
  });
}
