/**
 * A recording: NDJSON (gzip when the name ends in .gz). The header holds the
 * plan's text (plans hold no secrets: literal secrets are rejected), then
 * every observation, command and event in order. Replay re-applies the
 * observations and commands to a fresh engine and re-emits the events that
 * came from outside it (actions, notifications, polling cadence).
 */
import type { EngineCommand, EngineEvent, Observation, RolloutPosition } from '../engine/types.js';

export const RECORDING_VERSION = 1;

export interface RecordingHeader {
  kind: 'header';
  version: number;
  planFile: string;
  planText: string;
  /** When recording started (a resumed rollout's window may have opened long before). */
  startedAt: number;
  windowStart: number;
  stageIndex: number;
  /** Where the rollout stood when recording started (stage entry, window, baselines), so a replay starts there too. */
  rollout?: RolloutPosition;
  /** The demo's time acceleration, when recorded from the demo. */
  speed?: number;
  operator?: string;
}

export type RecordingEntry =
  | RecordingHeader
  | ({ kind: 'obs' } & Observation)
  | { kind: 'cmd'; at: number; cmd: EngineCommand }
  | { kind: 'event'; origin: 'engine' | 'external'; event: EngineEvent };
