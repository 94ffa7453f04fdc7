/**
 * The promote or rollback this cockpit started: running, then its outcome
 * until the operator closes it. Hidden (Esc) while it runs, it comes back
 * with the outcome, so a refusal or a failure is always read.
 */
import type { ActionKind, ActionOutcomeView } from '../../src/ui-contract.js';

export interface RunInfo {
  kind: ActionKind;
  /** What it acts on, drawn joined by arrows: ["canary-10", "canary-50"], ["canary-10 (dhash)"]. */
  path: readonly string[];
  override: boolean;
  dryRun: boolean;
  commands: readonly string[];
}

export interface Run {
  id: number;
  info: RunInfo;
  /** Cockpit time when it was confirmed. */
  startedAt: number;
  outcome: ActionOutcomeView | null;
  visible: boolean;
}

export type RunAction =
  | { type: 'start'; id: number; info: RunInfo; startedAt: number }
  | { type: 'done'; id: number; outcome: ActionOutcomeView }
  | { type: 'hide' }
  | { type: 'show' }
  | { type: 'close' };

export function runReducer(s: Run | null, a: RunAction): Run | null {
  switch (a.type) {
    case 'start':
      return { id: a.id, info: a.info, startedAt: a.startedAt, outcome: null, visible: true };
    case 'done':
      return s && s.id === a.id ? { ...s, outcome: a.outcome, visible: true } : s;
    case 'hide':
      return s && s.visible ? { ...s, visible: false } : s;
    case 'show':
      return s && !s.visible ? { ...s, visible: true } : s;
    case 'close':
      return null;
  }
}

/** What a rejected action promise becomes: a failure that says why. */
export function failedOutcome(kind: ActionKind, err: unknown): ActionOutcomeView {
  const why = err instanceof Error ? err.message : String(err);
  return { ok: false, summary: `${kind} failed: ${why || 'unknown error'}` };
}

/** The outcome in one sentence: what ran, or exactly why nothing did. */
export function outcomeText(kind: ActionKind, o: ActionOutcomeView): { word: string; text: string; ok: boolean } {
  if (o.refused) return { word: 'REFUSED', text: `refused: ${o.refused}`, ok: false };
  if (o.ok) return { word: 'done', text: o.summary ?? `${kind} finished`, ok: true };
  return { word: 'FAILED', text: o.summary ?? `${kind} failed (no summary given)`, ok: false };
}
