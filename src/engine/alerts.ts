/** The alerts panel: Prometheus's alerts and Flightdeck's own (failing gates, Prometheus down), newest first. */
import type { PromAlert } from '../sources/types.js';
import { effectiveOnFail, errorLimitReached, type GateRuntime } from './gate.js';
import type { AlertView, PrometheusView } from './types.js';

export function buildAlerts(prom: PromAlert[], gates: GateRuntime[], promView: PrometheusView, now: number): AlertView[] {
  const out: AlertView[] = [];
  for (const a of prom) {
    if (a.state === 'inactive') continue;
    const sev = a.labels.severity;
    out.push({
      source: 'prometheus',
      name: a.name,
      state: a.state,
      severity: sev === 'critical' || sev === 'page' ? 'critical' : sev === 'info' ? 'info' : 'warning',
      since: a.activeAt ?? now,
      summary: a.annotations.summary ?? a.annotations.description ?? Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' '),
      labels: a.labels,
    });
  }
  for (const g of gates) {
    if (errorLimitReached(g) && g.mode !== 'off') {
      out.push({
        source: 'flightdeck',
        name: `gate ${g.spec.id} error`,
        state: 'firing',
        severity: g.spec.onError === 'rollback' && g.mode === 'enforce' ? 'critical' : 'warning',
        since: g.since,
        summary: `${g.spec.id}: ${g.consecutiveErrors} errors in a row (on error ${g.spec.onError ?? 'hold'}): ${g.why}`,
        labels: { gate: g.spec.id },
      });
    }
    // A failing gate's alert keeps firing while its source errors: the breach is held, not resolved.
    if (g.state !== 'failing' && g.condition !== 'failing') continue;
    const onFail = effectiveOnFail(g);
    out.push({
      source: 'flightdeck',
      name: `gate ${g.spec.id}`,
      state: 'firing',
      severity: onFail === 'rollback' ? 'critical' : 'warning',
      since: g.since,
      summary: `${g.spec.id} failing (${onFail}): ${g.why}`,
      labels: { gate: g.spec.id },
    });
  }
  if (promView.configured && promView.status === 'down') {
    out.push({ source: 'flightdeck', name: 'prometheus down', state: 'firing', severity: 'critical', since: promView.since ?? now, summary: promView.lastError ?? 'Prometheus unreachable', labels: {} });
  }
  return out.sort((a, b) => b.since - a.since);
}
