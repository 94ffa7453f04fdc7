/**
 * The seam between the CLI (`watch`, `demo`, `replay`) and the cockpit UI in
 * components/. The CLI owns the engine, actions and notifiers; the cockpit
 * only renders what these options give it and reports keys back.
 */
import type { Blocker, EngineCommand, EngineState } from './engine/types.js';

import type { ActionKind, NotificationHealth, RunningAction, SessionView } from './session/types.js';

// What a session tells beside the engine state is core (src/session/types.ts); the cockpit renders it.
export type { ActionKind, NotificationHealth, RunningAction };

/** A line shown in the activity log beside the engine events (a test's, a component's own); the session's lines are `session.note` events. */
export interface ExtraLine {
  at: number;
  text: string;
  source?: 'action' | 'notify' | 'audit' | 'info';
  level?: 'info' | 'warn' | 'error';
}

/** What the cockpit shows beside the engine state: the session's view, and lines of its own. */
export interface CockpitExtras extends SessionView {
  /** Oldest first, like EngineState.events; the cockpit merges both by time. */
  lines?: readonly ExtraLine[];
  /** A line shown in the header, e.g. the replay's position: "REPLAY 12:04:33 +4m of 61m ×10 (paused)". */
  banner?: string;
}

export interface CockpitCallbacks {
  /** `r` sends { type: 'refresh' }. */
  onCommand(command: EngineCommand): void;
  /** `p` / `b`. Not called in read-only mode. The dialogs are the caller's. */
  onAction?(kind: ActionKind): void;
  /** `q` / Ctrl-C. The CLI decides whether to ask first (an action running) and then unmounts. */
  onQuit(): void;
  /** Ctrl-L, after the cockpit repainted the whole screen. */
  onRedraw?(): void;
}

export interface CockpitOptions extends CockpitCallbacks {
  getState(): EngineState;
  /** Called with a listener fired whenever the state changed; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  readonly: boolean;
  /** --no-color; the NO_COLOR environment variable is honoured as well. */
  noColor: boolean;
  /** --ascii: no box drawing, no Unicode sparklines or glyphs. */
  ascii: boolean;
  /** A fixed value, or a getter read on every update (use handle.update() after it changed). */
  extras?: CockpitExtras | (() => CockpitExtras);
  /**
   * The engine clock, so countdowns tick between states (the demo's ManualClock).
   * Default: the state's `now` moved on by the wall time since that state arrived.
   */
  now?: () => number;
  /** How often the countdowns repaint without a new state; 0 turns it off. Default 1000 ms. */
  tickMs?: number;
  /** Frames per second at most. Default 10. */
  maxFps?: number;
  /** Streams; default the process's. */
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  /** Enter the alternate screen and hide the cursor. Default: when stdout is a TTY. */
  alternateScreen?: boolean;
  /** What the dialogs act through (promote, rollback, sign-off, quit). Absent: keys p/b/s say "not available here". */
  actions?: CockpitActions;
  /** More keys for this use of the cockpit (replay's play/pause/seek); listed in the help and footer. */
  extraKeys?: ExtraKey[];
  /** What this screen is, shown under the status line when the cockpit opens (the demo's first screen). */
  intro?: CockpitIntro;
}

/** A few paragraphs shown under the status line when the cockpit opens, until a key is pressed or `forMs` of wall time passed. */
export interface CockpitIntro {
  /** Most needed first: a short terminal keeps the first ones. */
  paragraphs: string[];
  forMs: number;
}

export interface ExtraKey {
  /** Ink key names or characters: 'space', '.', '[', 'G'. */
  keys: string[];
  label: string;
  run(): void;
}

// ---------------------------------------------------------------- dialogs

/** What the promote dialog shows before anything runs. */
export interface PromotePreview {
  from: string;
  /** null when this is the last stage (promote completes the rollout). */
  to: string | null;
  promotable: boolean;
  /** Why not, when not promotable: each blocking gate with value and threshold. */
  blockers: Blocker[];
  /** Gates in warn: allowed, shown as a caution. */
  cautions: string[];
  bakeRemainingMs: number;
  /** The exact commands that will run, one line a step ("deploy: ./scripts/deploy.sh --env production"). */
  commands: string[];
  /** A guarded override's reason must be at least this long. */
  minReasonLength: number;
  dryRun: boolean;
}

export interface RollbackPreview {
  stage: string;
  service: string;
  /** Typing either confirms a rollback. */
  confirmWords: string[];
  commands: string[];
  /** Steps that run only when the operator ticks them (seed 001's "if needed"). */
  optionalSteps: string[];
  dryRun: boolean;
  /** The stage was rolled back already when the dialog opened: confirming runs its steps again. */
  rolledBack: boolean;
}

export interface ActionOutcomeView {
  ok: boolean;
  /** Set when nothing ran: read-only, lock held ("rollback by alice@bastion running for 42 s"), not promotable. */
  refused?: string;
  /** One line: "promote finished in 12s" / "rollback failed at step 'restore': exit 3". */
  summary?: string;
}

/** A sign-off's answer: done, or refused and why (a guard answers later: a promise). */
export type SignoffOutcome = { ok: true } | { ok: false; error: string };

export interface CockpitActions {
  /** A string says why there is nothing to promote (read-only, no promote action). */
  previewPromote(): PromotePreview | string;
  previewRollback(): RollbackPreview | string;
  /** `stageId`: the stage the dialog showed and the operator confirmed; the action is refused if the rollout has moved on. */
  /** `override.blockers`: the gates the dialog showed blocking; the override is refused if another blocks by then. */
  promote(req: { stageId?: string; reason?: string; override?: { reason: string; acknowledged: boolean; blockers?: string[] } }): Promise<ActionOutcomeView>;
  /** `expectNotRolledBack`: the dialog showed the stage not rolled back; refused if it has been since (never run twice unasked). */
  rollback(req: { stageId?: string; expectNotRolledBack?: boolean; reason?: string; includeOptional?: string[] }): Promise<ActionOutcomeView>;
  /** Signs off a manual gate as the current operator. */
  /** `stageId`: the gate's stage as the dialog showed it; refused when the rollout has left that stage. */
  signoff(gateId: string, note: string, stageId?: string): SignoffOutcome | Promise<SignoffOutcome>;
  /** The action running now, if any: quitting asks first, and a second action is refused. */
  running(): RunningAction | null;
  /**
   * Present when the cockpit is attached to a guard: quitting detaches and leaves the guard
   * running, and the quit dialog offers to stop the guard too (never as the default).
   */
  guard?: GuardControl;
}

export interface GuardControl {
  pid: number;
  /** Asks the guard to stop; it finishes a running action (and audits it) first. Refused: not an operator. */
  stop(): Promise<ActionOutcomeView>;
}

export interface CockpitHandle {
  /** Unmounts, restores the screen and the cursor. Safe to call twice. */
  unmount(): void;
  /** Resolves once the cockpit is unmounted. */
  waitUntilExit(): Promise<void>;
  /** Re-reads getState()/extras (throttled), e.g. after extras changed. */
  update(): void;
  /** Replaces the extras (when they were not given as a getter) and re-renders. */
  setExtras(extras: CockpitExtras): void;
}
