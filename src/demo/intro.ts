/**
 * The demo's first screen: what this is (a simulated rollout, nothing real
 * touched), which keys to try, and the story the scenario tells — shown under
 * the cockpit's status line for the first seconds, or until a key.
 */
import type { CockpitIntro } from '../ui-contract.js';
import type { Scenario } from './scenarios.js';

/** Wall time the intro stays when no key is pressed. */
export const DEMO_INTRO_MS = 20_000;

export function demoIntro(o: { scenario: Scenario; speed: number; nodes: number; autopilot: boolean; realPrometheus: boolean }): CockpitIntro {
  const prom = o.realPrometheus ? 'a real Prometheus started for the demo' : 'a built-in Prometheus';
  const who = o.autopilot ? 'an autopilot that promotes on its own' : 'no autopilot: you promote (p), roll back (b), sign off (s)';
  return {
    paragraphs: [
      `DEMO - a simulated rollout: ${o.nodes} fake checkout nodes on 127.0.0.1, ${prom}, time at ${o.speed}x, ${who}; nothing real is touched.`,
      'Keys to try: ? every key, j/k rows, Enter detail, [ ] past polls, Z freeze, p promote, q quit. Any key hides this.',
      `Scenario "${o.scenario.name}": ${o.scenario.summary}.`,
    ],
    forMs: DEMO_INTRO_MS,
  };
}
