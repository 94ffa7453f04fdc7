/**
 * Runs a REAL Prometheus (Debian's /usr/bin/prometheus) for integration tests:
 * a temp config and data dir, a free loopback port, bounded waits, and a stop
 * that always kills the process and removes the temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Children still running, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface StartPrometheusOptions {
  /** host:port of the exporters to scrape. */
  targets: string[];
  /** Default '1s'. */
  scrapeInterval?: string;
  /** Default: the scrape interval. */
  evaluationInterval?: string;
  /** Content of a rule file (YAML). */
  rules?: string;
  metricsPath?: string;
  /** How long to wait for /-/ready (default 20 s). */
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  url: string;
  /** Prometheus's own output so far (for failure messages). */
  logs(): string;
  /** Rewrites the rule file (when given) and asks Prometheus to reload. */
  reload(rules?: string): Promise<void>;
  stop(): Promise<void>;
}

/** Polls `fn` until it returns a truthy value or the time is up (then throws with the last error). */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPrometheus(opts: StartPrometheusOptions): Promise<RunningPrometheus> {
  if (!existsSync(PROMETHEUS_BIN)) throw new Error(`prometheus binary not found at ${PROMETHEUS_BIN}: apt-get install -y prometheus`);
  const dir = await mkdtemp(join(tmpdir(), 'flightdeck-prom-'));
  const scrapeInterval = opts.scrapeInterval ?? '1s';
  const rulesFile = join(dir, 'rules.yml');
  const config = {
    global: { scrape_interval: scrapeInterval, evaluation_interval: opts.evaluationInterval ?? scrapeInterval, scrape_timeout: scrapeInterval },
    ...(opts.rules !== undefined ? { rule_files: [rulesFile] } : {}),
    scrape_configs: [
      { job_name: 'test', metrics_path: opts.metricsPath ?? '/metrics', static_configs: [{ targets: opts.targets }] },
    ],
  };
  await writeFile(join(dir, 'prometheus.yml'), stringify(config));
  if (opts.rules !== undefined) await writeFile(rulesFile, opts.rules);

  let child: ChildProcess | undefined;
  let output = '';
  const cleanup = async (): Promise<void> => {
    if (child) await kill(child);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--storage.tsdb.retention.time=1h',
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const spawned = child;
    live.add(spawned);
    spawned.once('exit', () => live.delete(spawned));
    const keep = (b: Buffer): void => {
      output = (output + b.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
    child.once('error', (err) => (exited = `failed to start: ${err.message}`));

    await waitFor(
      async () => {
        if (exited) throw new Error(`prometheus ${exited}\n${output}`);
        return (await httpStatus(`${url}/-/ready`)) === 200;
      },
      { timeoutMs: opts.readyTimeoutMs ?? 20_000, intervalMs: 100, what: `prometheus ${url}/-/ready` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- prometheus output ---\n${output}`);
    });

    const running = child;
    return {
      url,
      logs: () => output,
      async reload(rules?: string) {
        if (rules !== undefined) {
          if (opts.rules === undefined) throw new Error('reload(rules) needs startPrometheus({ rules }) so the rule file is configured');
          await writeFile(rulesFile, rules);
        }
        const status = await httpStatus(`${url}/-/reload`, 'POST');
        if (status !== 200) throw new Error(`prometheus reload answered ${status}\n${output}`);
      },
      async stop() {
        await kill(running);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process is gone. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await gone;
  clearTimeout(timer);
}

/** Status of a one-off request (no keep-alive), or 0 when it fails. */
function httpStatus(url: string, method = 'GET'): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** The first sample's value of an instant query, or undefined when it returns no series. */
export async function queryValue(promUrl: string, expr: string): Promise<number | undefined> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ value: [number, string] }> } };
  if (body.status !== 'success' || !body.data) throw new Error(`Prometheus query ${expr}: ${body.error ?? `HTTP ${res.status}`}`);
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

/** Waits (bounded) until an instant query returns a finite value. */
export async function waitForValue(promUrl: string, expr: string, what: string, timeoutMs = 30_000): Promise<number> {
  return waitFor(async () => {
    const v = await queryValue(promUrl, expr);
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  }, { timeoutMs, what });
}
