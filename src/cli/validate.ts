/**
 * `flightdeck validate PLAN [--online]`: the plan offline (schema, cross-field
 * rules, PromQL syntax), and with --online what its Prometheus says about the
 * names in it (alert rules, series). Also the start-up warning `check` and
 * `watch` print when a name the plan uses is unknown to Prometheus.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { formatProblem, type LoadedPlan } from '../plan/plan-file.js';
import { validateOnline, type OnlineReport } from '../plan/validate-online.js';
import { createHttpTransport } from '../sources/http.js';
import { createPromClient, resolvePromAuth } from '../sources/prometheus.js';
import type { PromClient } from '../sources/types.js';

export const VALIDATE_EXIT = { ok: 0, problems: 1, cannotAsk: 2 } as const;

function summary(loaded: LoadedPlan): string {
  const p = loaded.plan;
  const gates = p.gates.length + p.stages.reduce((n, s) => n + s.gates.length, 0);
  return `${p.service}, ${p.stages.length} stage(s), ${gates} gate(s), ${p.nodes.length} node(s)`;
}

/** The report's findings as `file:line:col path: message` lines, in file order. */
export async function onlineLines(loaded: LoadedPlan, shownAs: string, report: OnlineReport): Promise<string[]> {
  if (report.findings.length === 0) return [];
  // The yaml library (to place a problem at its line) loads here, not when watch asks for warnings.
  const { planLocator } = await import('../plan/load.js');
  const locate = planLocator(await readFile(loaded.file, 'utf8'), shownAs);
  return report.findings
    .map((f) => locate(f.path, f.message, f.index))
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .map(formatProblem);
}

/** A Prometheus client for the plan (its auth from env/files), closed by `close`. */
function clientFor(loaded: LoadedPlan): { prom: PromClient; close: () => Promise<void> } {
  const spec = loaded.plan.prometheus!;
  const transport = createHttpTransport({ connections: 4 });
  const auth = resolvePromAuth(spec, process.env, readFileSync, loaded.dir);
  const prom = createPromClient({ url: spec.url, transport, timeoutMs: spec.timeout, maxBytes: spec.maxBytes, token: auth.token, headers: auth.headers });
  return { prom, close: () => transport.close() };
}

export interface ValidateResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runValidate(loaded: LoadedPlan, shownAs: string, opts: { online?: boolean }): Promise<ValidateResult> {
  const ok = `${shownAs}: ok — ${summary(loaded)}`;
  if (!opts.online) return { code: VALIDATE_EXIT.ok, stdout: `${ok}\n`, stderr: '' };
  if (!loaded.plan.prometheus) return { code: VALIDATE_EXIT.ok, stdout: `${ok}; no Prometheus in the plan, nothing to ask online\n`, stderr: '' };
  let client;
  try {
    client = clientFor(loaded);
  } catch (err) {
    return { code: VALIDATE_EXIT.cannotAsk, stdout: '', stderr: `${shownAs}: cannot check online: ${(err as Error).message}\n` };
  }
  let report: OnlineReport;
  try {
    report = await validateOnline(loaded.plan, client.prom, { now: Date.now() });
  } finally {
    await client.close();
  }
  const lines = await onlineLines(loaded, shownAs, report);
  const c = report.checked;
  const asked = `${c.alerts} alert(s), ${c.queries} query(ies), ${c.selectors} selector(s) checked against ${loaded.plan.prometheus.url}`;
  if (report.failure) {
    return { code: VALIDATE_EXIT.cannotAsk, stdout: '', stderr: [...lines, `${shownAs}: cannot check online: ${report.failure}`].join('\n') + '\n' };
  }
  if (lines.length > 0) return { code: VALIDATE_EXIT.problems, stdout: '', stderr: `${lines.join('\n')}\n` };
  return { code: VALIDATE_EXIT.ok, stdout: `${ok}; online: ${asked}\n`, stderr: '' };
}

/**
 * Start-up warnings for `check` and `watch`: names Prometheus does not know
 * (alerts, series; the queries themselves they run anyway), asked with a
 * client of its own and bounded in time. Never throws; says
 * nothing when Prometheus cannot be asked (the gates will say so).
 */
export async function startupWarnings(loaded: LoadedPlan, now = Date.now()): Promise<string[]> {
  if (!loaded.plan.prometheus) return [];
  let client;
  try {
    client = clientFor(loaded);
  } catch {
    return [];
  }
  try {
    const signal = AbortSignal.timeout(Math.max(5_000, loaded.plan.prometheus.timeout));
    const report = await validateOnline(loaded.plan, client.prom, { now, concurrency: 2, signal, queries: false });
    const lines = await onlineLines(loaded, loaded.file, report);
    return lines.map((l) => `plan check against Prometheus: ${l}`);
  } catch {
    return [];
  } finally {
    await client.close();
  }
}
