/**
 * Opens a session on a plan for `watch`, `demo`, `promote` and `rollback`:
 * restores where the rollout stands, builds the runtime, the notifier and
 * the self-metrics, and collects the secrets every writer must mask.
 */
import { currentOperator } from '../audit/log.js';
import type { Clock } from '../clock.js';
import type { SelfMetrics } from '../metrics/self-metrics.js';
import { createNotifier, NotifierConfigError, type Notifier } from '../notify/index.js';
import type { LoadedPlan } from '../plan/load.js';
import type { NotifierSpec } from '../plan/schema.js';
import { collectSecretValues } from '../plan/secret-values.js';
import { loadRolloutState } from '../session/rollout-state.js';
import { Session } from '../session/session.js';
import { buildRuntime, type Runtime } from './runtime.js';

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
}

export interface OpenSession {
  session: Session;
  runtime: Runtime;
  notifier: Notifier | null;
  metrics: SelfMetrics | null;
  metricsUrl?: string;
  secrets: string[];
  close(): Promise<void>;
}

export async function openSession(loaded: LoadedPlan, o: OpenOptions): Promise<OpenSession> {
  const env = o.env ?? process.env;
  const plan = loaded.plan;
  const saved = o.stageId ? null : await loadRolloutState(loaded.file);
  const restored = saved && plan.stages.some((s) => s.id === saved.stageId) ? saved : null;
  const runtime = buildRuntime(loaded, {
    clock: o.clock,
    env,
    stageId: o.stageId ?? restored?.stageId,
    stageEnteredAt: restored?.stageEnteredAt,
    rolledBack: restored?.rolledBack,
  });
  const secrets = collectSecretValues(plan, env, loaded.dir);
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
    persistState: true,
  });
  if (restored) session.addLine({ at: runtime.clock.now(), text: `resumed at stage ${restored.stageId}${restored.rolledBack ? ' (rolled back)' : ''}, saved by ${restored.by}`, source: 'info' });
  return {
    session,
    runtime,
    notifier,
    metrics,
    metricsUrl,
    secrets,
    async close() {
      await session.stop();
      if (metricsServer) await new Promise<void>((r) => metricsServer!.close(() => r()));
    },
  };
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
