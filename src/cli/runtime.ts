/**
 * Builds the engine for a plan with the real network: undici transports (one for
 * Prometheus, notifiers and actions, one for the nodes), the Prometheus client,
 * the node poller, command and file readers. Every
 * command (check, watch, promote, demo) starts from here.
 */
import { readFile, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from '../clock.js';
import { Engine, type EngineDeps } from '../engine/engine.js';
import type { LoadedPlan } from '../plan/load.js';
import { runGateCommand } from '../sources/command.js';
import { createHttpTransport, type UndiciTransport } from '../sources/http.js';
import { createNodePoller } from '../sources/nodes.js';
import { createPromClient, resolvePromAuth } from '../sources/prometheus.js';
import type { NodePoller, PromClient } from '../sources/types.js';
import { definedEnv } from '../env.js';
import { collectSecretValues } from '../plan/secret-values.js';
import { healthExpectations } from '../../checks/health.js';

export interface Runtime {
  engine: Engine;
  clock: Clock;
  transport: UndiciTransport;
  /** The nodes' own transport (one kept-alive connection each). */
  nodeTransport: UndiciTransport;
  prometheus: PromClient | null;
  nodes: NodePoller | null;
  /** The plan's secret values (collectSecretValues), for every writer to mask. */
  secrets: string[];
  close(): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  stageId?: string;
  stageEnteredAt?: number;
  rolledBack?: boolean;
  /** The restored rollout's window and baselines (see EngineDeps). */
  window?: EngineDeps['window'];
  baselines?: EngineDeps['baselines'];
  oneShot?: boolean;
}

export function buildRuntime(loaded: LoadedPlan, opts: RuntimeOptions = {}): Runtime {
  const clock = opts.clock ?? systemClock;
  const env = opts.env ?? process.env;
  const plan = loaded.plan;
  const secrets = collectSecretValues(plan, env, loaded.dir);
  const transport = createHttpTransport({ connections: 8 });
  // Nodes get their own transport: one connection each (a node is asked one thing at a time), kept
  // open across the longest poll interval when the node allows it, so a poll does not reconnect to every node.
  const longestEvery = Math.max(...plan.polling.phases.map((p) => p.every));
  const nodeTransport = createHttpTransport({ connections: 1, keepAliveTimeoutMs: Math.min(15 * 60_000, 2 * longestEvery + 10_000) });
  let prometheus: PromClient | null = null;
  if (plan.prometheus) {
    const auth = resolvePromAuth(plan.prometheus, env, readFileSync, loaded.dir);
    prometheus = createPromClient({
      url: plan.prometheus.url,
      transport,
      timeoutMs: plan.prometheus.timeout,
      maxBytes: plan.prometheus.maxBytes,
      token: auth.token,
      headers: auth.headers,
    });
  }
  const nodes =
    plan.nodes.length > 0
      ? createNodePoller({
          nodes: plan.nodes,
          transport: nodeTransport,
          clock,
          timeoutMs: plan.probe.timeout,
          concurrency: plan.probe.concurrency,
          breaker: plan.probe.breaker,
          expect: healthExpectations(plan, false),
        })
      : null;
  const deepSpecs = plan.nodes.filter((n) => n.deep).map((n) => ({ ...n, health: n.deep! }));
  const deepNodes =
    deepSpecs.length > 0
      ? createNodePoller({ nodes: deepSpecs, transport: nodeTransport, clock, timeoutMs: plan.probe.timeout, concurrency: plan.probe.concurrency, breaker: plan.probe.breaker, expect: healthExpectations(plan, true) })
      : null;
  // Closing stops the gate commands still running (their process groups), or a quit would wait for them.
  const closing = new AbortController();
  const engine = new Engine({
    loaded,
    clock,
    prometheus,
    nodes,
    deepNodes,
    stageId: opts.stageId,
    stageEnteredAt: opts.stageEnteredAt,
    rolledBack: opts.rolledBack,
    backfillOnStart: true,
    window: opts.window,
    baselines: opts.baselines,
    oneShot: opts.oneShot,
    readFile: (p) => readFile(p, 'utf8'),
    // On the session's clock (the accelerated demo's runs faster than the file system's).
    fileModifiedAt: async (p) => {
      const written = (await stat(p)).mtimeMs;
      return clock.fromWallTime ? clock.fromWallTime(written) : written;
    },
    // Command gates see the session's environment (the demo adds its fleet's control URL there).
    runCommand: (argv, o) =>
      runGateCommand(argv, {
        ...o,
        env: { ...definedEnv(env), ...plan.env, ...o.env },
        signal: o.signal ? AbortSignal.any([o.signal, closing.signal]) : closing.signal,
        secrets,
      }),
  });
  return {
    engine,
    clock,
    transport,
    nodeTransport,
    prometheus,
    nodes,
    secrets,
    async close() {
      closing.abort();
      await nodes?.close();
      await deepNodes?.close();
      await transport.close();
      await nodeTransport.close();
    },
  };
}

