/**
 * A step's precondition: a file whose SHA-256 must match its `.sha256`
 * companion (sha256sum format), a gate that must be ok, or a command that
 * must exit 0. The command itself is run by the caller (it is a process of
 * the step, killed and logged the same way).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { expandEnv } from './secrets.js';
import type { PreconditionSpec } from './steps.js';

export interface PreconditionOutcome {
  kind: 'sha256' | 'gate' | 'run';
  ok: boolean;
  detail: string;
  /** Set when a `run` precondition was aborted or timed out. */
  interrupted?: 'aborted' | 'timed out';
}

export interface PreconditionDeps {
  planDir: string;
  env: Record<string, string>;
  dryRun: boolean;
  gateOk?: ((gateId: string) => boolean) | undefined;
  /** Runs the precondition command; resolves with how it ended. */
  run(argv: string[]): Promise<{ ok: boolean; detail: string; interrupted?: 'aborted' | 'timed out' }>;
}

export async function checkPrecondition(pre: PreconditionSpec, deps: PreconditionDeps): Promise<PreconditionOutcome> {
  if (pre.sha256 !== undefined) return checkSha256(pre.sha256, deps);
  if (pre.gate !== undefined) return checkGate(pre.gate, deps);
  if (pre.run !== undefined) {
    if (deps.dryRun) return { kind: 'run', ok: true, detail: `${pre.run.join(' ')} not run under --dry-run` };
    const r = await deps.run(pre.run);
    const out: PreconditionOutcome = { kind: 'run', ok: r.ok, detail: `${pre.run.join(' ')}: ${r.detail}` };
    if (r.interrupted) out.interrupted = r.interrupted;
    return out;
  }
  return { kind: 'run', ok: false, detail: 'the precondition names no check' };
}

function checkGate(gateId: string, deps: PreconditionDeps): PreconditionOutcome {
  if (!deps.gateOk) return { kind: 'gate', ok: false, detail: `gate ${gateId}: no gate state available` };
  let ok: boolean;
  try {
    ok = deps.gateOk(gateId);
  } catch (err) {
    return { kind: 'gate', ok: false, detail: `gate ${gateId}: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { kind: 'gate', ok, detail: ok ? `gate ${gateId} is ok` : `gate ${gateId} is not ok` };
}

async function checkSha256(pathSpec: string, deps: PreconditionDeps): Promise<PreconditionOutcome> {
  const fail = (detail: string): PreconditionOutcome => ({ kind: 'sha256', ok: false, detail });
  let path: string;
  try {
    path = expandEnv(pathSpec, deps.env);
  } catch (err) {
    return fail(`${pathSpec}: ${(err as Error).message}`);
  }
  if (path.trim() === '') return fail(`${pathSpec}: the path is empty`);
  const abs = isAbsolute(path) ? path : resolve(deps.planDir, path);
  const shown = isAbsolute(path) ? path : relative(deps.planDir, abs) || path;
  const sumFile = `${abs}.sha256`;

  let expected: string;
  try {
    const first = (await readFile(sumFile, 'utf8')).trim().split(/\s+/)[0] ?? '';
    if (!/^[0-9a-f]{64}$/i.test(first)) return fail(`${shown}.sha256 does not start with a SHA-256 hex digest`);
    expected = first.toLowerCase();
  } catch (err) {
    return fail(`cannot read ${shown}.sha256 (${codeOf(err)})`);
  }

  let actual: string;
  try {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(abs)) hash.update(chunk as Buffer);
    actual = hash.digest('hex');
  } catch (err) {
    return fail(`cannot read ${shown} (${codeOf(err)})`);
  }
  if (actual !== expected) {
    return fail(`${shown} does not match its checksum: sha256 is ${actual.slice(0, 12)}…, ${shown}.sha256 says ${expected.slice(0, 12)}…`);
  }
  return { kind: 'sha256', ok: true, detail: `${shown} matches ${shown}.sha256 (${actual.slice(0, 12)}…)` };
}

function codeOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (e instanceof Error ? e.message : String(err));
}
