/**
 * Schema pieces shared by the plan's schema (schema.ts) and the gate kinds' own
 * schema parts (checks/<kind>.ts): durations, command specs. Kept apart so that
 * a kind's module can build its part without importing the whole plan schema.
 */
import * as z from 'zod';
import { parseDuration } from '../duration.js';

export const duration = z.string({ error: 'expected a duration such as "30s", "5m" or "1h"' }).transform((s, ctx) => {
  const v = parseDuration(s);
  if (v === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s", "5m" or "1h", got "${s}"` });
    return z.NEVER;
  }
  return v;
});

export const commandSpec = z
  .object({
    run: z.array(z.string()).min(1, 'expected an argv list such as [./scripts/deploy.sh, --env, production]'),
    timeout: duration.default(600_000),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    /** Extra argv appended under --dry-run; `false` skips the step under --dry-run. */
    dryRun: z.union([z.array(z.string()), z.literal(false)]).optional(),
    /** Processes left in the step's group once its main process exited: killed (default) or left running. */
    leftovers: z.enum(['kill', 'leave']).optional(),
  })
  .strict();
