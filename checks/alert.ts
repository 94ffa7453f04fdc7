/**
 * A Prometheus alert firing (from /api/v1/alerts). `alert: "*"` counts every
 * alert (seed 001's "no active alerts"). The value is the number of matching
 * alerts; the default threshold fails on any.
 */
import * as z from 'zod';
import { PromError } from '../src/sources/types.js';
import { describePromError } from './query.js';
import type { Check, GateKindModule } from './types.js';

/** The alert kind's part of a gate's schema: the alert rule's name, `*` for any. */
export const alertFields = { alert: z.string().min(1).optional() };

export const alertCheck: Check = async (gate, ctx) => {
  if (!ctx.prometheus) return { status: 'error', reason: 'no Prometheus configured in the plan' };
  if (ctx.alerts === null) return { status: 'error', reason: ctx.alertsError ?? 'alerts could not be fetched' };
  const name = gate.alert!;
  const wanted = gate.alertState === 'pending' ? ['pending', 'firing'] : ['firing'];
  const matches = ctx.alerts.filter(
    (a) =>
      (name === '*' || a.name === name) &&
      wanted.includes(a.state) &&
      Object.entries(gate.labels ?? {}).every(([k, v]) => a.labels[k] === v),
  );
  if (matches.length === 0 && name !== '*' && ctx.prometheus.rules) {
    // "No alert firing" is only true of an alert Prometheus has: a misspelt name would be ok for ever.
    let known: boolean | undefined;
    try {
      known = (await ctx.prometheus.rules({ signal: ctx.signal })).some((r) => r.type === 'alerting' && r.name === name);
    } catch (err) {
      // A server without the endpoint (a proxy, the demo's Prometheus) cannot tell; any other failure is an error.
      if (!(err instanceof PromError && err.status === 404)) return { status: 'error', reason: `cannot tell whether alert rule ${name} exists: ${describePromError(err)}` };
    }
    if (known === false) return { status: 'no data', reason: `Prometheus has no alerting rule named ${name} (/api/v1/rules): a typo, or the rule is not loaded` };
  }
  return {
    status: 'value',
    value: matches.length,
    parts: matches.map((a) => ({ name: a.name, value: a.state, note: Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' ') })),
    note: matches.length ? `${matches.length} ${wanted.join('/')} alert(s)` : `no ${name === '*' ? '' : `${name} `}alert ${wanted.join(' or ')}`,
  };
};

export const alertKind: GateKindModule = {
  kind: 'alert',
  source: 'prometheus',
  check: alertCheck,
  describe: (g) => (g.alert === '*' ? 'any Prometheus alert' : `Prometheus alert ${g.alert}`),
  defaultFail: () => '> 0',
  // The alerts endpoint is what failed: say so as it is.
  notAsked: (promDown) => promDown,
  // `alert: "*"` (any alert firing) names no rule.
  onlineAsks: (g) => (g.alert === '*' ? [] : [{ alertRule: g.alert!, field: ['alert'] }]),
};
