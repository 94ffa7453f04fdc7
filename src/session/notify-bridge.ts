/**
 * Which engine events become notifications, and what they carry.
 *
 * Failures open an incident (a gate failing, a Prometheus alert firing,
 * Prometheus or a node down) and are notified once per incident; the recovery
 * (the gate back to ok or warn, the alert resolved, Prometheus or the node
 * back) is notified once, at info, naming the failure notification it closes.
 * The dispatcher's grouping then folds flapping failures and recoveries alike.
 *
 * Every action notification carries the operator (user@host), the SSH client
 * and the reason. A dry-run session marks every notification (`dryRun: true`,
 * "(dry run)" in the title) and never raises one above warning.
 */
import { formatOperator, type AuditOperator } from '../audit/operator.js';
import type { Clock } from '../clock.js';
import { formatDuration } from '../duration.js';
import type { EngineEvent, EngineState } from '../engine/types.js';
import { newNotification, type NotificationInput } from '../notify/notification.js';
import type { Notification } from '../notify/types.js';

export interface BridgeOptions {
  operator: AuditOperator;
  dryRun: boolean;
  /**
   * `all`: gate, alert, Prometheus and node states as well as actions (a cockpit, `watch`).
   * `actions`: only what this process does (the one-shot `promote` / `rollback`: the watching
   * cockpit has announced the gate states already, and a refused attempt must not repeat them).
   */
  scope: 'all' | 'actions';
  /**
   * Why a rollback a gate asks for is not started by this process ('read-only', '--no-auto-rollback'),
   * or null when it is: the notification says which, so nobody reads "auto-rollback" when none comes.
   */
  autoRollbackOff: string | null;
}

/** The failure notification an open incident started with: what its recovery names (`resolves`). */
type Incident = NonNullable<Notification['resolves']>;

const ACTION_EVENTS: ReadonlySet<EngineEvent['type']> = new Set(['action.started', 'action.finished', 'action.refused', 'override']);

export class NotificationBridge {
  private readonly incidents = new Map<string, Incident>();
  /** Node changes of one poll go out as one notification each way. */
  private nodeBatch: { down: Array<{ node: string; reason: string }>; up: string[] } | null = null;

  constructor(
    private readonly o: BridgeOptions,
    private readonly state: () => EngineState,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly send: (n: Notification) => void,
  ) {}

  setScope(scope: BridgeOptions['scope']): void {
    this.o.scope = scope;
  }

  handle(e: EngineEvent): void {
    if (ACTION_EVENTS.has(e.type)) return this.out(this.action(e));
    if (this.o.scope !== 'all') return;
    switch (e.type) {
      case 'gate.changed':
        return this.gate(e);
      case 'rollback.requested': {
        const st = this.state();
        const off = this.o.autoRollbackOff;
        return this.out({
          ...this.base(st),
          event: 'rollback.auto',
          severity: 'critical',
          // What happens next comes in its own notification: the action started, or refused (and why).
          title: off === null ? `${st.service}: auto-rollback of ${e.stageId} requested` : `${st.service}: rollback of ${e.stageId} due: roll back by hand (${off})`,
          text: e.reason,
          gates: gatesOf(st),
          operator: formatOperator(this.o.operator),
          ...this.ssh(),
          reason: e.reason,
          details: { subject: e.gateId },
        });
      }
      case 'window.completed': {
        const st = this.state();
        return this.out({ ...this.base(st), event: 'window.completed', severity: e.verdict === 'pass' ? 'info' : 'warning', title: `${st.service}: deploy window completed: ${e.verdict}`, text: `Monitoring window over, verdict ${e.verdict}.`, gates: gatesOf(st) });
      }
      case 'alert.firing': {
        // Flightdeck's own alerts repeat what gate, Prometheus and action notifications say already.
        if (e.source !== 'prometheus') return;
        const st = this.state();
        return this.open(`alert:${e.name}`, {
          ...this.base(st),
          event: 'alert.firing',
          severity: e.severity === 'critical' ? 'critical' : e.severity === 'info' ? 'info' : 'warning',
          title: `${st.service}: alert ${e.name} firing`,
          text: e.summary,
          details: { subject: e.name, source: e.source },
        });
      }
      case 'alert.resolved': {
        if (e.source !== 'prometheus') return;
        const st = this.state();
        return this.close(`alert:${e.name}`, (f) => ({
          ...this.base(st),
          event: 'alert.resolved',
          severity: 'info',
          title: `${st.service}: alert ${e.name} resolved`,
          text: `${e.name} is no longer firing (firing since ${iso(f.at)}, ${formatDuration(this.clock.now() - f.at)}).`,
          details: { subject: e.name, source: e.source },
        }));
      }
      case 'prometheus.down': {
        const st = this.state();
        return this.open('prometheus', {
          ...this.base(st),
          event: 'prometheus.down',
          severity: 'warning',
          title: `${st.service}: Prometheus unreachable`,
          text: `${e.error}. PromQL and alert gates read no data until it is back: promotion is blocked, a breach cannot be seen.`,
          details: { subject: 'prometheus' },
        });
      }
      case 'prometheus.up': {
        const st = this.state();
        return this.close('prometheus', (f) => ({
          ...this.base(st),
          event: 'prometheus.recovered',
          severity: 'info',
          title: `${st.service}: Prometheus reachable again`,
          text: `Prometheus answers again after ${formatDuration(this.clock.now() - f.at)} unreachable.`,
          details: { subject: 'prometheus' },
        }));
      }
      case 'node.down':
        this.batch().down.push({ node: e.node, reason: e.reason });
        return;
      case 'node.up':
        this.batch().up.push(e.node);
        return;
      case 'stage.entered': {
        // Gates of the stage left are no longer evaluated: their incidents end without a recovery to announce.
        const live = new Set(this.state().gates.map((g) => `gate:${g.id}`));
        for (const key of [...this.incidents.keys()]) if (key.startsWith('gate:') && !live.has(key)) this.incidents.delete(key);
        return;
      }
      default:
        return;
    }
  }

  private gate(e: Extract<EngineEvent, { type: 'gate.changed' }>): void {
    const key = `gate:${e.gateId}`;
    const st = this.state();
    if (e.to === 'failing') {
      return this.open(key, {
        ...this.base(st),
        event: 'gate.failing',
        severity: e.onFail === 'rollback' ? 'critical' : 'warning',
        title: `${st.service}: gate ${e.gateId} failing (${e.onFail})`,
        text: e.why,
        gates: gatesOf(st),
        details: { subject: e.gateId },
      });
    }
    if (e.to !== 'ok' && e.to !== 'warn') return; // pending, error, no data: the incident stays open
    const g = st.gates.find((x) => x.id === e.gateId);
    this.close(key, (f) => ({
      ...this.base(st),
      event: 'gate.recovered',
      severity: 'info',
      title: `${st.service}: gate ${e.gateId} back to ${e.to}`,
      text: `${e.gateId} is ${e.to} again (${e.display}) after failing for ${formatDuration(this.clock.now() - f.at)}.${e.why ? ` ${e.why}` : ''}`,
      gates: [{ id: e.gateId, state: e.to, display: e.display, threshold: g ? g.fail.join(' or ') : '' }],
      details: { subject: e.gateId },
    }));
  }

  private action(e: EngineEvent): NotificationInput | null {
    const st = this.state();
    const who = { operator: formatOperator(this.o.operator), ...this.ssh() };
    switch (e.type) {
      case 'action.started':
        return {
          ...this.base(st),
          event: 'action.started',
          severity: e.action === 'rollback' ? 'warning' : 'info',
          title: `${st.service}: ${e.auto ? 'auto-' : ''}${e.action} of ${e.stageId} started`,
          text: e.reason ?? `${e.action} by ${who.operator}`,
          ...who,
          reason: e.reason,
          override: e.override,
          gates: gatesOf(st),
        };
      case 'action.finished': {
        const outcome = e.outcome ?? (e.ok ? 'ok' : 'failed');
        const words = { ok: 'finished', partial: 'PARTIAL', failed: 'FAILED', aborted: 'ABORTED' } as const;
        const event = { ok: 'action.finished', partial: 'action.partial', failed: 'action.failed', aborted: 'action.aborted' } as const;
        const severity = outcome === 'ok' ? 'info' : outcome === 'partial' ? 'warning' : 'critical';
        const details: Record<string, unknown> = { steps: e.steps, durationMs: e.durationMs, outcome };
        if (e.failedSteps?.length) details.failedSteps = e.failedSteps;
        if (e.abortedBy) details.abortedBy = e.abortedBy;
        return {
          ...this.base(st),
          event: event[outcome],
          severity,
          title: `${st.service}: ${e.auto ? 'auto-' : ''}${e.action} of ${e.stageId} ${words[outcome]}${outcome === 'partial' && e.failedSteps?.length ? ` (failed: ${e.failedSteps.join(', ')})` : ''}${e.abortedBy ? ` by ${e.abortedBy}` : ''}`,
          text: e.summary,
          ...who,
          reason: e.reason,
          details,
        };
      }
      case 'action.refused':
        return {
          ...this.base(st),
          event: 'action.refused',
          severity: e.auto ? 'critical' : 'info',
          title: `${st.service}: ${e.auto ? 'auto-' : ''}${e.action} of ${e.stageId} refused`,
          text: e.why,
          ...who,
          reason: e.reason,
          details: { refusal: e.why, subject: `${e.action}:${e.stageId}` },
        };
      case 'override':
        return {
          ...this.base(st),
          event: 'override',
          severity: 'warning',
          title: `${st.service}: guarded override of ${e.stageId} by ${who.operator}`,
          text: `Promotion past blocking gates (${e.blockers.join(', ')}): ${e.fields.override_reason}`,
          ...who,
          reason: e.fields.override_reason,
          override: e.fields,
          gates: gatesOf(st),
        };
      default:
        return null;
    }
  }

  private batch(): NonNullable<NotificationBridge['nodeBatch']> {
    if (!this.nodeBatch) {
      this.nodeBatch = { down: [], up: [] };
      queueMicrotask(() => this.flushNodes());
    }
    return this.nodeBatch;
  }

  private flushNodes(): void {
    const b = this.nodeBatch;
    this.nodeBatch = null;
    if (!b) return;
    const st = this.state();
    if (b.down.length > 0) {
      const names = b.down.map((d) => d.node);
      const input: NotificationInput = {
        ...this.base(st),
        event: 'node.down',
        severity: 'warning',
        title: `${st.service}: ${names.length === 1 ? `node ${names[0]} down` : `${names.length} nodes down: ${list(names)}`}`,
        text: b.down.map((d) => `${d.node}: ${d.reason}`).join('\n'),
        details: { subject: names.join(','), nodes: names },
      };
      const n = this.decorate(input);
      for (const name of names) if (!this.incidents.has(`node:${name}`)) this.incidents.set(`node:${name}`, incidentOf(n));
      this.send(n);
    }
    const back = b.up.map((node) => ({ node, f: this.incidents.get(`node:${node}`) })).filter((x): x is { node: string; f: Incident } => x.f !== undefined);
    if (back.length > 0) {
      for (const x of back) this.incidents.delete(`node:${x.node}`);
      const names = back.map((x) => x.node);
      this.out({
        ...this.base(st),
        event: 'node.recovered',
        severity: 'info',
        title: `${st.service}: ${names.length === 1 ? `node ${names[0]} back up` : `${names.length} nodes back up: ${list(names)}`}`,
        text: back.map((x) => `${x.node}: up again after ${formatDuration(this.clock.now() - x.f.at)}`).join('\n'),
        resolves: back[0]!.f,
        details: { subject: names.join(','), nodes: names, resolvesIds: [...new Set(back.map((x) => x.f.id))] },
      });
    }
  }

  /** A failure: notified when it opens an incident, not again while the incident is open. */
  private open(key: string, input: NotificationInput): void {
    if (this.incidents.has(key)) return;
    const n = this.decorate(input);
    this.incidents.set(key, incidentOf(n));
    this.send(n);
  }

  /** A recovery: notified once, only when a failure was notified, naming it. */
  private close(key: string, make: (failure: Incident) => NotificationInput): void {
    const f = this.incidents.get(key);
    if (!f) return;
    this.incidents.delete(key);
    this.out({ ...make(f), resolves: f });
  }

  private out(input: NotificationInput | null): void {
    if (input) this.send(this.decorate(input));
  }

  /** Dry runs say so and stay below critical. */
  private decorate(input: NotificationInput): Notification {
    const n = newNotification(input, this.clock);
    if (!this.o.dryRun) return n;
    return { ...n, dryRun: true, title: n.title.includes('(dry run)') ? n.title : `${n.title} (dry run)`, severity: n.severity === 'critical' ? 'warning' : n.severity };
  }

  private base(st: EngineState): Pick<NotificationInput, 'service' | 'environment' | 'stage'> {
    return { service: st.service, environment: st.environment, stage: st.stages[st.stageIndex]?.id };
  }

  private ssh(): { sshClient?: string } {
    return this.o.operator.sshClient ? { sshClient: this.o.operator.sshClient } : {};
  }
}

function incidentOf(n: Notification): Incident {
  return { id: n.id, event: n.event, title: n.title, at: n.at };
}

function gatesOf(st: EngineState): NonNullable<NotificationInput['gates']> {
  return st.gates.filter((g) => g.state !== 'ok' && g.state !== 'off').map((g) => ({ id: g.id, state: g.state, display: g.display, threshold: g.fail.join(' or ') }));
}

function list(names: string[]): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}
