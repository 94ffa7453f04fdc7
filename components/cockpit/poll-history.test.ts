/** The ring of past polls that [ ] step through: one snapshot per poll, bounded, oldest dropped first. */
import { describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import { mulberry32 } from '../../src/simulator/prng.js';
import { makeState, T0 } from '../../test/helpers/state-fixture.js';
import { PollHistory, POLL_HISTORY_LIMIT, pollKey, shareElements, shareTree } from './poll-history.js';
import type { Snapshot } from './ui-state.js';

const SEC = 1000;
/** The state after poll i (polls 30 s apart). */
const poll = (i: number): Snapshot => ({ state: makeState({}, T0 + i * 30 * SEC), extras: {}, now: T0 + i * 30 * SEC });

describe('PollHistory', () => {
  it('keeps the first state of each poll, and later states of the same poll not again', () => {
    const h = new PollHistory();
    const first = poll(1);
    expect(h.record(first)).toBe(true);
    // The same poll, a moment later (an action line arrived): not a new poll.
    const later = { ...first, state: { ...first.state, now: first.state.now + 2 * SEC } };
    expect(h.record(later)).toBe(false);
    expect(h.size).toBe(1);
    expect(h.before(poll(2))).toBe(first);
  });

  it('steps back and forward by poll, from any snapshot', () => {
    const h = new PollHistory();
    const ps = [0, 1, 2, 3].map(poll);
    for (const p of ps) h.record(p);
    expect(h.before(ps[3]!)?.now).toBe(ps[2]!.now);
    expect(h.before(ps[0]!)).toBeUndefined();
    expect(h.after(ps[1]!)?.now).toBe(ps[2]!.now);
    expect(h.after(ps[3]!)).toBeUndefined();
    expect(h.back(ps[1]!)).toBe(2);
    // A freeze between two polls steps back to the poll it showed, not past it.
    const frozen = { ...ps[2]!, now: ps[2]!.now + 5 * SEC };
    expect(h.before(frozen)?.now).toBe(ps[1]!.now);
  });

  it('is bounded: past the limit the oldest poll goes', () => {
    const h = new PollHistory(3);
    const ps = [0, 1, 2, 3, 4].map(poll);
    for (const p of ps) h.record(p);
    expect(h.size).toBe(3);
    expect(h.before(ps[3]!)?.now).toBe(ps[2]!.now);
    expect(h.before(ps[2]!)).toBeUndefined();
    expect(new PollHistory().limit).toBe(POLL_HISTORY_LIMIT);
    for (let i = 0; i < POLL_HISTORY_LIMIT + 30; i++) h.record(poll(10 + i));
    expect(h.size).toBe(3);
  });

  it('starts over when polls go back in time (a replay sought backwards)', () => {
    const h = new PollHistory();
    for (const i of [5, 6, 7]) h.record(poll(i));
    expect(h.record(poll(2))).toBe(true);
    expect(h.size).toBe(1);
    expect(pollKey(h.before(poll(7))!)).toBe(pollKey(poll(2)));
  });

  it('keeps nothing before the first poll, and refuses a limit below 1', () => {
    const h = new PollHistory();
    const s = poll(0);
    expect(h.record({ ...s, state: { ...s.state, polling: { ...s.state.polling, lastPollAt: undefined } } })).toBe(false);
    expect(h.size).toBe(0);
    expect(() => new PollHistory(0)).toThrow(/at least 1/);
  });

  it('a state that came through a pipe (a copy of everything) shares what did not change with the poll before', () => {
    const h = new PollHistory();
    const p1 = poll(1);
    h.record(p1);
    // The next poll as an attached cockpit gets it: every object a fresh copy, the same values.
    const copy = JSON.parse(JSON.stringify(p1)) as Snapshot;
    const p2: Snapshot = { ...copy, state: { ...copy.state, polling: { ...copy.state.polling, lastPollAt: p1.state.polling.lastPollAt! + 30 * SEC } } };
    h.record(p2);
    const kept = h.after(p1)!;
    const gate = (s: Snapshot, i: number) => s.state.gates[i]!;
    expect(gate(kept, 0).history.length).toBeGreaterThan(0);
    gate(kept, 0).history.forEach((sample, i) => expect(sample).toBe(gate(p1, 0).history[i]));
    kept.state.events.forEach((e, i) => expect(e).toBe(p1.state.events[i]));
    kept.state.nodes.forEach((n, i) => expect(n).toBe(p1.state.nodes[i]));
    // What changed stays the new value.
    const changed = [{ at: 1, v: 2 }];
    expect(shareElements([{ at: 1, v: 1 }], changed)[0]).toBe(changed[0]);
  });

  it('reads a copied ring from where it starts now: the oldest dropped, one appended', () => {
    const prev = Array.from({ length: 8 }, (_, i) => ({ at: i, v: { n: i } }));
    const next = JSON.parse(JSON.stringify([...prev.slice(2), { at: 8, v: { n: 8 } }, { at: 9, v: { n: 9 } }])) as typeof prev;
    const kept = shareElements(prev, next);
    kept.slice(0, 6).forEach((x, i) => expect(x).toBe(prev[i + 2]));
    expect(kept[6]).toBe(next[6]);
    expect(kept[7]).toBe(next[7]);
  });

  it('keeps every changed element new: a fleet whose every probe moved', () => {
    const prev = Array.from({ length: 20 }, (_, i) => ({ id: `n${i}`, last: { at: 1 } }));
    const next = prev.map((n) => ({ ...n, last: { at: 2 } }));
    expect(shareElements(prev, next)).toBe(next);
    // One that did not move is shared; the rest stay new.
    next[3] = JSON.parse(JSON.stringify(prev[3])) as (typeof prev)[number];
    const kept = shareElements(prev, next);
    expect(kept[3]).toBe(prev[3]);
    expect(kept[4]).toBe(next[4]);
  });

  it('keeps an array whose leading elements all changed as it came (a changed fleet is not compared node by node)', () => {
    const prev = Array.from({ length: 40 }, (_, i) => ({ id: `n${i}`, last: { at: 1 } }));
    const next = prev.map((n, i) => (i === 20 ? (JSON.parse(JSON.stringify(n)) as typeof n) : { ...n, last: { at: 2 } }));
    expect(shareElements(prev, next)).toBe(next);
  });

  it('leaves arrays that already share their elements (the engine\'s copy-on-write) as they are', () => {
    const samples = Array.from({ length: 11 }, (_, i) => ({ at: i }));
    const next = samples.slice(1);
    expect(shareElements(samples.slice(0, 10), next)).toBe(next);
  });
});

describe('shareTree', () => {
  const body = (uptime: number) => JSON.parse(JSON.stringify({ status: 'ok', uptime_seconds: uptime, pool: { size: 20, state: { saturation: 0.45 } }, tags: ['a', { b: 1 }] })) as Record<string, unknown>;

  it('gives the old tree when the new one equals it, and shares every unchanged part when it does not', () => {
    const a = body(100);
    expect(shareTree(a, body(100))).toBe(a);
    const next = body(130);
    const kept = shareTree(a, next) as Record<string, unknown>;
    expect(kept).toEqual(next);
    expect(kept).not.toBe(a);
    expect(kept['pool']).toBe(a['pool']);
    expect(kept['tags']).toBe(a['tags']);
  });

  it('never shares across a difference of keys, types or lengths, nor into class instances', () => {
    const a = { x: { y: 1 }, list: [1, 2], when: new Date(0) };
    for (const next of [{ x: { y: 1, z: 2 }, list: [1, 2], when: new Date(0) }, { x: { y: '1' }, list: [1, 2, 3], when: new Date(0) }, { x: [1], list: { 0: 1, 1: 2 }, when: new Date(1) }]) {
      const kept = shareTree(a, next);
      expect(kept).toEqual(next);
      expect((kept as { when: Date }).when).toBe(next.when);
    }
  });

  it('on 3,000 random JSON trees and random changes to them: the result always equals the new tree, and is the old one exactly when they are equal', () => {
    const rnd = mulberry32(21);
    const leaf = () => [1, 2.5, 'ok', 'down', true, null, ''][Math.floor(rnd() * 7)];
    const tree = (d: number): unknown => {
      const r = rnd();
      if (d > 3 || r < 0.3) return leaf();
      if (r < 0.5) return Array.from({ length: Math.floor(rnd() * 4) }, () => tree(d + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, (_, i) => [`k${Math.floor(rnd() * 6)}${i % 2}`, tree(d + 1)]));
    };
    const change = (t: unknown): unknown => {
      if (rnd() < 0.15) return tree(2);
      if (Array.isArray(t)) return rnd() < 0.1 ? [...t, leaf()] : t.map(change);
      if (t && typeof t === 'object') {
        const o = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, change(v)]));
        if (rnd() < 0.1) o[`n${Math.floor(rnd() * 3)}`] = leaf();
        if (rnd() < 0.1) delete o[Object.keys(o)[0] ?? ''];
        return o;
      }
      return t;
    };
    let equalSeen = 0;
    for (let i = 0; i < 3_000; i++) {
      const prev = tree(0);
      const next = JSON.parse(JSON.stringify(change(prev))) as unknown;
      const kept = shareTree(prev, next);
      expect(kept).toStrictEqual(next);
      const equal = JSON.stringify(prev) === JSON.stringify(next) && isDeepStrictEqual(prev, next);
      if (equal) equalSeen++;
      if (prev !== null && typeof prev === 'object') expect(kept === prev).toBe(equal);
    }
    expect(equalSeen).toBeGreaterThan(100);
  });

  it("a kept poll's node bodies share with the poll before what did not change, and still read as they came", () => {
    const h = new PollHistory();
    const withBodies = (i: number): Snapshot => {
      const s = poll(i);
      const nodes = s.state.nodes.map((n) => {
        const b = body(100 + i * 30);
        return { ...n, last: n.last ? { ...n.last, body: b } : n.last, lastBody: b };
      });
      return { ...s, state: { ...s.state, nodes } };
    };
    const polls = [1, 2, 3].map(withBodies);
    for (const p of polls) h.record(p);
    // The kept polls 2 and 3: each the newest kept before the poll after it.
    const second = h.before(polls[2]!)!.state.nodes;
    const third = h.before(withBodies(4))!.state.nodes;
    expect(second.map((n) => n.last?.body)).toEqual(polls[1]!.state.nodes.map((n) => n.last?.body));
    expect(third.map((n) => n.lastBody)).toEqual(polls[2]!.state.nodes.map((n) => n.lastBody));
    expect(third.length).toBeGreaterThan(0);
    for (let i = 0; i < third.length; i++) {
      const [a, b] = [second[i]!.last?.body as Record<string, unknown>, third[i]!.last?.body as Record<string, unknown>];
      expect(b['uptime_seconds']).toBe(190);
      expect(b['pool']).toBe(a['pool']);
      expect(third[i]!.lastBody).toBe(b);
    }
  });
});
