/** Which engine events become notifications, and what they carry. */
import type { EngineEvent, EngineState } from '../engine/types.js';
import type { NotificationInput } from '../notify/notification.js';

/** The events that become notifications (the rest never need the state built). */
const NOTIFIED: ReadonlySet<EngineEvent['type']> = new Set(['gate.changed', 'rollback.requested', 'action.started', 'action.finished', 'override', 'window.completed']);

/** `state` is read only for events that become notifications: building it costs a pass over every gate. */
export function notificationFor(e: EngineEvent, state: () => EngineState): NotificationInput | null {
  if (!NOTIFIED.has(e.type) || (e.type === 'gate.changed' && e.to !== 'failing')) return null;
  const st = state();
  const base = { service: st.service, environment: st.environment, stage: st.stages[st.stageIndex]?.id };
  const gates = st.gates
    .filter((g) => g.state !== 'ok' && g.state !== 'off')
    .map((g) => ({ id: g.id, state: g.state, display: g.display, threshold: g.fail.join(' or ') }));
  switch (e.type) {
    case 'gate.changed':
      if (e.to !== 'failing') return null;
      return {
        ...base,
        event: 'gate.failing',
        severity: e.onFail === 'rollback' ? 'critical' : 'warning',
        title: `${st.service}: gate ${e.gateId} failing (${e.onFail})`,
        text: e.why,
        gates,
        details: { subject: e.gateId },
      };
    case 'rollback.requested':
      return { ...base, event: 'rollback.auto', severity: 'critical', title: `${st.service}: auto-rollback of ${e.stageId}`, text: e.reason, gates, details: { subject: e.gateId } };
    case 'action.started':
      return {
        ...base,
        event: 'action.started',
        severity: e.action === 'rollback' ? 'warning' : 'info',
        title: `${st.service}: ${e.auto ? 'auto-' : ''}${e.action} of ${e.stageId} started${e.dryRun ? ' (dry run)' : ''}`,
        text: e.reason ?? `${e.action} by ${e.operator}`,
        operator: e.operator,
        reason: e.reason,
        override: e.override,
        gates,
      };
    case 'action.finished':
      return {
        ...base,
        event: e.ok ? 'action.finished' : 'action.failed',
        severity: e.ok ? 'info' : 'critical',
        title: `${st.service}: ${e.action} of ${e.stageId} ${e.ok ? 'finished' : 'FAILED'}`,
        text: e.summary,
        details: { steps: e.steps, durationMs: e.durationMs },
      };
    case 'override':
      return {
        ...base,
        event: 'override',
        severity: 'warning',
        title: `${st.service}: guarded override of ${e.stageId} by ${e.operator}`,
        text: `Promotion past blocking gates (${e.blockers.join(', ')}): ${e.fields.override_reason}`,
        operator: e.operator,
        reason: e.fields.override_reason,
        override: e.fields,
        gates,
      };
    case 'window.completed':
      return { ...base, event: 'window.completed', severity: e.verdict === 'pass' ? 'info' : 'warning', title: `${st.service}: deploy window completed: ${e.verdict}`, text: `Monitoring window over, verdict ${e.verdict}.`, gates };
    default:
      return null;
  }
}
