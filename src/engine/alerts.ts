/** The alerts panel: Prometheus's alerts and Flightdeck's own (failing gates, Prometheus down), newest first. */
import type { PromAlert } from '../sources/types.js';
import { effectiveOnFail, type GateRuntime } from './gate.js';
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
    if (g.state !== 'failing') continue;
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
