/**
 * What a notification is, what the dispatcher reports about delivering it,
 * and the small contract every channel (Slack, Teams, Discord, webhook,
 * email, file) implements.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Known events; any other string is accepted too (filters match on the text). */
export type NotificationEvent =
  | 'action.started'
  | 'action.finished'
  | 'action.failed'
  | 'action.partial'
  | 'action.aborted'
  | 'action.refused'
  | 'rollback.auto'
  | 'override'
  | 'gate.failing'
  | 'gate.recovered'
  | 'alert.firing'
  | 'alert.resolved'
  | 'prometheus.down'
  | 'prometheus.recovered'
  | 'node.down'
  | 'node.recovered'
  | 'window.completed'
  | 'test'
  | (string & {});

export interface NotificationGate {
  id: string;
  /** One of the engine's gate states: ok, warn, pending, failing, no data, error, off. */
  state: string;
  /** The value as shown, with units. */
  display: string;
  /** The threshold as written in the plan, e.g. "> 0.05". */
  threshold: string;
}

export interface Notification {
  id: string;
  event: NotificationEvent;
  severity: Severity;
  /** Epoch ms. */
  at: number;
  service: string;
  environment: string;
  stage?: string;
  title: string;
  text: string;
  gates?: NotificationGate[];
  /** "alice@bastion-1" */
  operator?: string;
  /** The SSH client's address the operator came from, when there is one. */
  sshClient?: string;
  reason?: string;
  override?: { manual_override: true; override_acknowledged: true; override_reason: string };
  /** Sent by a dry run (`--dry-run`): nothing was changed; the title says so too, and it is never critical. */
  dryRun?: boolean;
  /** A recovery names the failure notification it closes. */
  resolves?: { id: string; event: string; title: string; at: number };
  details?: Record<string, unknown>;
}

export type DeliveryEventType = 'notify.delivered' | 'notify.retry' | 'notify.failed' | 'notify.fallback';

export interface DeliveryEvent {
  type: DeliveryEventType;
  /** The channel's redacted name, e.g. `slack(https://hooks.slack.com/services…/****)`. */
  channel: string;
  notificationId: string;
  /** 1-based attempt this event is about (0 for the fallback file). */
  attempt: number;
  /** Redacted: never holds a webhook URL, token or password. */
  error?: string;
  /** For `notify.retry`: how long until the next attempt (Retry-After or backoff). */
  retryInMs?: number;
  /** The notification's event and title, for whoever shows progress. */
  event?: string;
  title?: string;
  at: number;
}

/** Why one attempt failed, and whether trying again can help. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** From a 429/503 Retry-After, already converted to ms from now. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface DeliverOptions {
  signal: AbortSignal;
}

/** One configured destination. `deliver` resolves when accepted, throws DeliveryError otherwise. */
export interface Channel {
  /** Redacted, unique among the notifier's channels. */
  readonly name: string;
  readonly kind: 'slack' | 'teams' | 'discord' | 'webhook' | 'email' | 'file';
  /** 0 for file channels. */
  readonly retries: number;
  /** Every secret this channel holds, so error texts can be scrubbed of them. */
  readonly secrets: readonly string[];
  accepts(n: Notification): boolean;
  deliver(n: Notification, opts: DeliverOptions): Promise<void>;
  close(): Promise<void>;
}
