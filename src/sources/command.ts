/**
 * Runs a gate's command (argv, no shell) through the action runner's process
 * handling: its own process group, killed whole on timeout (a hung test run
 * takes its children with it). Never throws.
 *
 * The lines it keeps become the gate's note, which reaches the screen, the
 * --json stream, `check` and notifications: they are kept with the plan's
 * secret values and URL credentials masked (a command sees the session's
 * environment, tokens included, and may print them), and without terminal
 * escape sequences (Maven colours its output even into a pipe).
 */
import { stripVTControlCharacters } from 'node:util';
import { redactText } from '../audit/redact.js';
import type { CommandOutcome } from '../gate-contract.js';
import { runProcess } from '../actions/process-tree.js';
import { systemClock } from '../clock.js';

const TAIL_LINES = 20;
const KILL_GRACE_MS = 2_000;

export async function runGateCommand(
  argv: string[],
  /** `env` is the command's whole environment; `secrets`, values masked in what it prints. */
  opts: { cwd: string; timeoutMs: number; env: Record<string, string>; signal?: AbortSignal; secrets?: readonly string[] },
): Promise<CommandOutcome> {
  const started = performance.now();
  const lines: string[] = [];
  const out = await runProcess(argv, {
    cwd: opts.cwd,
    env: opts.env,
    timeoutMs: opts.timeoutMs,
    graceMs: KILL_GRACE_MS,
    // Commands run in real time, also when the demo speeds its clock up.
    clock: systemClock,
    signal: opts.signal,
    onLine: (_stream, text) => {
      lines.push(text);
      if (lines.length > TAIL_LINES) lines.shift();
    },
    onNote: () => undefined,
  });
  const durationMs = performance.now() - started;
  const tail = lines.map((l) => redactText(stripVTControlCharacters(l), opts.secrets)).join('\n');
  if (out.timedOut) return { exitCode: null, timedOut: true, durationMs, tail };
  if (out.exitCode === null) {
    const error = out.error ?? (out.aborted ? 'aborted' : out.signal ? `killed by ${out.signal}` : 'did not run');
    return { exitCode: null, timedOut: false, durationMs, tail, error };
  }
  return { exitCode: out.exitCode, timedOut: false, durationMs, tail };
}
