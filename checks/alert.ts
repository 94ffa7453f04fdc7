/**
 * A Prometheus alert firing (from /api/v1/alerts). `alert: "*"` counts every
 * alert (seed 001's "no active alerts"). The value is the number of matching
 * alerts; the default threshold fails on any.
 */
import type { Check } from './types.js';

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
  return {
    status: 'value',
    value: matches.length,
    parts: matches.map((a) => ({ name: a.name, value: a.state, note: Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' ') })),
    note: matches.length ? `${matches.length} ${wanted.join('/')} alert(s)` : `no ${name === '*' ? '' : `${name} `}alert ${wanted.join(' or ')}`,
  };
};
