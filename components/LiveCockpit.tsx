/**
 * The live cockpit (what renderCockpit mounts): pulls the engine's state when it says it changed (at most
 * every `throttleMs`), ticks the countdowns, and renders CockpitApp.
 */
import React, { useEffect, useRef, useState } from 'react';
import type { EngineState } from '../src/engine/types.js';
import type { CockpitActions, CockpitCallbacks, CockpitExtras } from '../src/ui-contract.js';
import { CockpitApp, type CockpitAppProps } from './CockpitApp.js';

export interface LiveCockpitProps extends CockpitCallbacks {
  getState(): EngineState;
  getExtras?(): CockpitExtras;
  subscribe(listener: () => void): () => void;
  readonly: boolean;
  noColor: boolean;
  ascii: boolean;
  /** The engine's clock; default: the state's time moved on by the wall time since it arrived. */
  now?: () => number;
  /** Countdown repaint period; 0 turns it off. Default 1000. */
  tickMs?: number;
  /** Least time between two state pulls. Default 100. */
  throttleMs?: number;
  repaintOnResize?: boolean;
  /** What the promote, rollback, sign-off and quit dialogs act through. */
  actions?: CockpitActions;
  extraKeys?: CockpitAppProps['extraKeys'];
  intro?: CockpitAppProps['intro'];
}

interface Pulled {
  state: EngineState;
  extras: CockpitExtras;
  at: number;
}

export function LiveCockpit(props: LiveCockpitProps) {
  const propsRef = useRef(props);
  propsRef.current = props;
  const pull = (): Pulled => ({ state: propsRef.current.getState(), extras: propsRef.current.getExtras?.() ?? {}, at: Date.now() });
  const [snap, setSnap] = useState<Pulled>(pull);
  const [, setTick] = useState(0);
  const throttleMs = props.throttleMs ?? 100;

  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    let last = 0;
    const run = () => {
      timer = undefined;
      last = Date.now();
      setSnap(pull());
    };
    const onChange = () => {
      if (timer) return;
      timer = setTimeout(run, Math.max(0, last + throttleMs - Date.now()));
    };
    const unsubscribe = props.subscribe(onChange);
    // A change between the first pull and the subscription is not lost.
    onChange();
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.subscribe, throttleMs]);

  const now = props.now ? props.now() : snap.state.now + Math.max(0, Date.now() - snap.at);
  const tickMs = props.tickMs === 0 ? 0 : tickFor(snap.state, snap.extras, now, props.tickMs ?? 1000);
  useEffect(() => {
    if (!tickMs) return undefined;
    const t = setInterval(() => setTick((n) => n + 1), tickMs);
    return () => clearInterval(t);
  }, [tickMs]);

  // Everything else is the app's own props, passed on as given.
  const { getState: _s, getExtras: _e, subscribe: _sub, now: _n, tickMs: _t, throttleMs: _th, ...app } = props;
  return <CockpitApp {...app} state={snap.state} extras={snap.extras} now={now} />;
}

/** Between polls an idle cockpit repaints its clocks this often. */
export const IDLE_TICK_MS = 5_000;

/**
 * How often the clocks repaint: every `busyMs` while something moves (hot
 * polling, a poll or an action under way, a pending gate, a node's retry
 * countdown), else every IDLE_TICK_MS: every other time on screen (ages,
 * "next in", time in stage) moves in 10 s steps. Each repaint is a whole
 * React commit and Ink frame (layout, every row's width, output): an idle
 * cockpit left open on a bastion should cost next to nothing.
 */
export function tickFor(state: EngineState, extras: CockpitExtras, now: number, busyMs: number): number {
  const p = state.polling;
  const busy =
    p.hot ||
    p.inFlight ||
    !!extras.action ||
    state.nodes.some((n) => n.retryAt !== undefined && n.retryAt > now) ||
    state.gates.some((g) => g.state === 'pending');
  return busy ? busyMs : Math.max(busyMs, IDLE_TICK_MS);
}
