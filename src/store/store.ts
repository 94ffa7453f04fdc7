/**
 * The store: where the rollout's shared facts live — its state (stage,
 * window, baselines, plan stamp), the action lock and the audit. Files beside
 * the plan today (files.ts); a PostgreSQL store for several bastions will
 * implement the same interface with the same fields.
 */
import type { HolderState, LockHolder, LockResult } from '../actions/lock.js';
import type { AppendOptions, AuditEntry, AuditRecord } from '../audit/log.js';
import type { RolloutState, StateRead } from './rollout-state.js';

export interface RolloutStateStore {
  /** Where the state lives, for messages (a file path; a database and key without credentials). */
  readonly location: string;
  /** The saved state, none, or why it cannot be used. Never throws for a bad state: that is `broken`. */
  read(): Promise<StateRead>;
  /** Replaces the state atomically: a reader sees the old state or the new one, never a part. */
  write(state: RolloutState): Promise<void>;
}

export interface ActionLockStore {
  /** Takes the plan's one-action-at-a-time lock, or says who holds it. */
  acquire(o: { action: string; operator: string; stageId?: string; auto?: boolean }): Promise<LockResult>;
  /**
   * The lock's holder as recorded, with its state (alive, orphaned: its processes outlive it, stale); null when free.
   * `unseen`: the holder ran on another bastion, whose processes cannot be seen from here (a stale one
   * is stale by its guard's lease, not because its processes were seen to end).
   */
  inspect(): Promise<{ holder: LockHolder; state: HolderState; unseen?: boolean } | null>;
  /** Removes the lock if it is stale and still this very holder; true when this call removed it (exactly one caller does). */
  clearStale(holder: LockHolder): Promise<boolean>;
}

export interface AuditStore {
  /** Appends one entry to the plan's hash-chained audit. */
  append(entry: AuditEntry, opts?: AppendOptions): Promise<AuditRecord>;
}

export interface Store {
  readonly state: RolloutStateStore;
  readonly lock: ActionLockStore;
  readonly audit: AuditStore;
}
