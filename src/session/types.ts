/**
 * What a session (in this process, or a guard seen from an attached client)
 * tells beside the engine state: the action running now and the notifiers'
 * health. Core types: the cockpit (components/) renders them, but they
 * belong to no UI.
 */

export type ActionKind = 'promote' | 'rollback';

/** An action (promote/rollback, or one adopted from a Flightdeck that died) running now. */
export interface RunningAction {
  kind: string;
  operator: string;
  startedAt: number;
  /** The last line of the action's output. */
  lastLine?: string;
}

/** Notifier delivery health: something undelivered, and the last error. */
export interface NotificationHealth {
  undelivered: number;
  lastError?: string;
}

/** The session's side of the picture; its activity lines are engine events (`session.note`). */
export interface SessionView {
  action?: RunningAction | null;
  notifications?: NotificationHealth | null;
  /** Where the rollout state stands when it needs saying (unusable, moved on elsewhere). */
  banner?: string;
}

/** A line the session adds to the one event stream (`session.note`): what it did or saw beside the engine. */
export interface NoteInput {
  text: string;
  /** What it is about: an action, a notification, the audit, or anything else (info). */
  topic?: 'action' | 'notify' | 'audit' | 'info';
  level?: 'info' | 'warn' | 'error';
}
