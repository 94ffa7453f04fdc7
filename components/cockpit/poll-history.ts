/**
 * The window's past polls, for rewinding the live screen (`[` `]`): a
 * bounded ring of the snapshots the cockpit was given — the first state it
 * saw after each poll (keyed by the poll's `polling.lastPollAt`), with the
 * extras and the display time of that moment. They are the same Snapshot
 * objects a freeze (Z) holds, shared, not copied: the engine builds a new
 * state per change and never mutates an old one (events, gate histories and
 * lines are copied on write), so a snapshot costs only the arrays that were
 * new at its poll.
 *
 * Memory bound: POLL_HISTORY_LIMIT snapshots; the oldest goes first. Each
 * holds its own events array (≤ 500 references), one history array per gate
 * (≤ 360 samples) and the activity lines (≤ 300) of its moment; the objects
 * in them are shared with the live state. Measured (node --expose-gc, heap
 * after gc): 120 snapshots of a 20-gate plan with full 360-sample histories,
 * built copy-on-write as the engine does, cost 12.8 MB, and 12.9 MB after
 * 1,200 polls — the ring does not grow past its bound. The same states
 * copied through JSON (as an attached cockpit receives them) cost 109.5 MB
 * kept as they came, 10.4 MB with what did not change shared with the poll
 * before (shareElements). A plan's cost scales with gates x history length.
 * Nodes are kept per poll (every probe moves), their health bodies sharing
 * what did not change (shareTree): 120 polls of 1,000 nodes with seed 004's
 * body, its uptime moving, 88 MB kept as they came, 45 MB shared.
 */
import { isDeepStrictEqual } from 'node:util';
import type { NodeStatus } from '../../src/sources/types.js';
import type { Snapshot } from './ui-state.js';

/** An hour of polls at 30 s; 10 minutes of hot 5 s polling. */
export const POLL_HISTORY_LIMIT = 120;

/** The poll a snapshot shows: when that poll started (its state.now before any poll). */
export function pollKey(s: Snapshot): number {
  return s.state.polling.lastPollAt ?? s.state.now;
}

/**
 * `next` with each element that equals its counterpart in `prev` replaced by
 * that one. A state that came through a pipe (a cockpit attached to a guard)
 * is a fresh copy of everything at every poll; sharing what did not change
 * keeps a kept poll as cheap as the engine's own copy-on-write states.
 * Arrays that already share their elements (the engine's) are returned as
 * they are.
 *
 * The arrays kept keep their order from poll to poll: nodes and gates in plan
 * order; samples, events and activity lines appended at the end and dropped
 * from the front. So `next` is read against `prev` from where `next[0]` is in
 * it (looked for among prev's first SHIFT_LIMIT elements: between two kept
 * polls a ring moves by what one poll added), element by element, with a
 * structural comparison that stops at the first difference. An array whose
 * first elements all differ changed as a whole (every node's probe time moves
 * at every poll) and is kept as it came, after those few comparisons: reading
 * 2 x 500 nodes as JSON keys cost a poll frame of the cockpit ~1.4 ms, and
 * comparing them all structurally ~0.5 ms. Whatever is not shared is only
 * memory, never a wrong screen: a kept poll holds the values it came with.
 */
export function shareElements<T>(prev: readonly T[] | undefined, next: readonly T[]): readonly T[] {
  if (!prev || prev === next || next.length === 0 || prev.length === 0) return next;
  const from = alignment(prev, next);
  let foreign = 0;
  for (let i = 0; i < next.length; i++) if (next[i] !== prev[from + i]) foreign++;
  if (foreign * 4 < next.length) return next;
  let shared = 0;
  let differ = 0;
  const out = next.slice();
  for (let i = 0; i < next.length; i++) {
    const p = prev[from + i];
    const x = next[i];
    if (p === x) continue;
    if (p === undefined || !isDeepStrictEqual(p, x)) {
      if (++differ >= GIVE_UP_AFTER && shared === 0) return next;
      continue;
    }
    out[i] = p;
    shared++;
  }
  return shared === 0 ? next : out;
}

/** How far into `prev` the start of `next` is looked for by value. */
const SHIFT_LIMIT = 32;
/** Elements compared that all differ from their counterparts, none shared yet: the array changed as a whole. */
const GIVE_UP_AFTER = 8;

/** Where `next` starts in `prev`: `next[0]` itself, else the first of prev's first SHIFT_LIMIT equal to it; 0 when there is none. */
function alignment<T>(prev: readonly T[], next: readonly T[]): number {
  const first = next[0];
  const same = prev.indexOf(first as T);
  if (same >= 0) return same;
  const end = Math.min(prev.length, SHIFT_LIMIT);
  for (let k = 0; k < end; k++) if (isDeepStrictEqual(prev[k], first)) return k;
  return 0;
}

/**
 * `next` with every part (object or array, at any depth) structurally equal
 * to its counterpart in `prev` replaced by that part; `next` itself when
 * nothing could be shared, `prev` when all of it equals. A node's health
 * body is parsed afresh at every probe, and most of it does not change from
 * one poll to the next (an uptime counter does): kept as it came, 120 polls
 * of 1,000 such bodies held 88 MB in a test of this ring, every object of
 * them live for the hour, for the GC to copy and mark.
 */
export function shareTree<T>(prev: unknown, next: T, depth = 0): T {
  // An equal string is the one kept already (JSON.parse makes every value's string anew).
  if (prev === next) return prev as T;
  if (typeof next !== 'object' || next === null || typeof prev !== 'object' || prev === null || depth > 16) return next;
  if (Array.isArray(next)) {
    if (!Array.isArray(prev)) return next;
    let same = prev.length === next.length;
    let shared = false;
    const out = next.map((x: unknown, i: number) => {
      const v = i < prev.length ? shareTree(prev[i], x, depth + 1) : x;
      if (v !== prev[i]) same = false;
      if (v !== x) shared = true;
      return v;
    });
    return (same ? prev : shared ? out : next) as T;
  }
  if (Array.isArray(prev) || Object.getPrototypeOf(next) !== Object.prototype || Object.getPrototypeOf(prev) !== Object.prototype) return next;
  const p = prev as Record<string, unknown>;
  let same = true;
  let shared = false;
  let keys = 0;
  const out: Record<string, unknown> = {};
  for (const k in next) {
    keys++;
    const x = (next as Record<string, unknown>)[k];
    const v = Object.hasOwn(p, k) ? shareTree(p[k], x, depth + 1) : x;
    if (v !== p[k]) same = false;
    if (v !== x) shared = true;
    out[k] = v;
  }
  for (const _ in p) keys--;
  return (same && keys === 0 ? prev : shared ? out : next) as T;
}

/** A node's health bodies (its last probe's, and the last one kept) sharing what did not change with the node's in the poll before. */
function shareBodies(prev: NodeStatus | undefined, n: NodeStatus): NodeStatus {
  if (!prev || prev === n || prev.name !== n.name) return n;
  const body = n.last?.body === undefined ? undefined : shareTree(prev.last?.body ?? prev.lastBody, n.last.body);
  const lastBody = n.lastBody === undefined ? undefined : n.lastBody === n.last?.body ? body : shareTree(prev.lastBody, n.lastBody);
  if (body === n.last?.body && lastBody === n.lastBody) return n;
  const out: NodeStatus = { ...n, lastBody };
  if (n.last) out.last = { ...n.last, body };
  return out;
}

/** `s` sharing with the previous kept poll every sample, event, node and line that did not change. */
function shareWith(prev: Snapshot, s: Snapshot): Snapshot {
  const prevGates = new Map(prev.state.gates.map((g) => [g.id, g]));
  const gates = s.state.gates.map((g) => {
    const history = shareElements(prevGates.get(g.id)?.history, g.history);
    return history === g.history ? g : { ...g, history: history as typeof g.history };
  });
  const events = shareElements(prev.state.events, s.state.events) as typeof s.state.events;
  const sharedNodes = shareElements(prev.state.nodes, s.state.nodes) as typeof s.state.nodes;
  // A fleet whose probes all moved is kept node by node as it came, but for what each body kept of the poll before.
  let nodes = sharedNodes;
  for (let i = 0; i < sharedNodes.length; i++) {
    const n = shareBodies(prev.state.nodes[i], sharedNodes[i]!);
    if (n === sharedNodes[i]) continue;
    if (nodes === sharedNodes) nodes = sharedNodes.slice();
    (nodes as NodeStatus[])[i] = n;
  }
  const state = { ...s.state, gates, events, nodes };
  const lines = s.extras.lines ? shareElements(prev.extras.lines, s.extras.lines) : undefined;
  return { ...s, state, extras: lines === s.extras.lines ? s.extras : { ...s.extras, lines } };
}

export class PollHistory {
  private ring: Snapshot[] = [];

  constructor(readonly limit = POLL_HISTORY_LIMIT) {
    if (!(limit >= 1)) throw new Error(`poll history limit must be at least 1, got ${limit}`);
  }

  /**
   * Keeps `s` when it is the first state of a poll not kept yet; true when
   * kept. A poll older than the newest kept (a replay sought backwards)
   * starts a new history: the old one is of another timeline.
   */
  record(s: Snapshot): boolean {
    if (s.state.polling.lastPollAt === undefined) return false;
    const key = pollKey(s);
    let last = this.ring[this.ring.length - 1];
    if (last) {
      const lastKey = pollKey(last);
      if (key === lastKey) return false;
      if (key < lastKey) {
        this.ring = [];
        last = undefined;
      }
    }
    this.ring.push(last ? shareWith(last, s) : s);
    if (this.ring.length > this.limit) this.ring.splice(0, this.ring.length - this.limit);
    return true;
  }

  get size(): number {
    return this.ring.length;
  }

  /** The newest kept poll before the one `shown` is of. */
  before(shown: Snapshot): Snapshot | undefined {
    const key = pollKey(shown);
    for (let i = this.ring.length - 1; i >= 0; i--) if (pollKey(this.ring[i]!) < key) return this.ring[i];
    return undefined;
  }

  /** The oldest kept poll after the one `shown` is of. */
  after(shown: Snapshot): Snapshot | undefined {
    const key = pollKey(shown);
    return this.ring.find((s) => pollKey(s) > key);
  }

  /** How many kept polls are newer than the one `shown` is of (1: the poll before the newest). */
  back(shown: Snapshot): number {
    const key = pollKey(shown);
    return this.ring.filter((s) => pollKey(s) > key).length;
  }
}
