/** A command's exit status (seed 000's test commands). The value is the exit code; the default threshold fails on non-zero. */
import { resolve } from 'node:path';
import { commandSpec } from '../src/plan/schema-parts.js';
import type { Check, GateKindModule } from './types.js';

/** The command kind's part of a gate's schema: an action's command, without its dry-run and leftovers settings. */
export const commandFields = { command: commandSpec.omit({ dryRun: true, leftovers: true }).optional() };

export const commandCheck: Check = async (gate, ctx) => {
  const spec = gate.command!;
  const out = await ctx.runCommand(spec.run, {
    cwd: resolve(ctx.planDir, spec.cwd ?? '.'),
    timeoutMs: spec.timeout,
    env: spec.env,
    signal: ctx.signal,
  });
  if (out.timedOut) return { status: 'error', reason: `timed out after ${Math.round(out.durationMs / 1000)}s: ${spec.run.join(' ')}` };
  if (out.exitCode === null) return { status: 'error', reason: out.error ?? `could not run ${spec.run[0]}` };
  const said = tellingLine(out.tail);
  return { status: 'value', value: out.exitCode, note: `exit ${out.exitCode} in ${Math.round(out.durationMs)}ms${said ? `: ${said.slice(0, 120)}` : ''}` };
};

/**
 * Lines a tool prints after what went wrong: a JavaScript stack's frames, the
 * caret under the line that threw, Node's version trailer, Maven's help
 * footer, npm's pointer to its log. None says why a command failed.
 */
const TRAILER = [
  /^\s+at\s/,
  /^\s*\^+\s*$/,
  /^Node\.js v\d+\.\d+/,
  /^\[ERROR\]\s*$/,
  /^\[ERROR\] (To see the full stack trace|Re-run Maven|For more information about the errors|After correcting the problems|\[Help \d+\])/,
  /^npm (ERR!|error) A complete log of this run can be found in/,
];

/** The last line of a command's output that says something: before the trailers above; the last line when every line is one. */
export function tellingLine(tail: string): string {
  const lines = tail.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) if (!TRAILER.some((t) => t.test(lines[i]!))) return lines[i]!.trim();
  return lines.at(-1)?.trim() ?? '';
}

export const commandKind: GateKindModule = {
  kind: 'command',
  check: commandCheck,
  describe: (g) => g.command!.run.join(' '),
  defaultFail: () => '!= 0',
  cachedUntilRefresh: true,
};
