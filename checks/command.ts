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
  const lastLine = out.tail.trim().split('\n').pop() ?? '';
  return { status: 'value', value: out.exitCode, note: `exit ${out.exitCode} in ${Math.round(out.durationMs)}ms${lastLine ? `: ${lastLine.slice(0, 120)}` : ''}` };
};

export const commandKind: GateKindModule = {
  kind: 'command',
  check: commandCheck,
  describe: (g) => g.command!.run.join(' '),
  defaultFail: () => '!= 0',
  cachedUntilRefresh: true,
};
