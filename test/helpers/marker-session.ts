/**
 * A real Session over an engine with a fake Prometheus (no gates) and a two-stage plan whose
 * promote and rollback run fixtures/actions/marker.sh (each run leaves a marker file in `dir`):
 * what the tests of "an action's end" (in-process cockpit, attached cockpit) act on.
 */
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { planSchema, type PlanInput } from '../../src/plan/schema.js';
import { Session } from '../../src/session/session.js';
import { ROOT } from './cli.js';
import { FakeProm, PROM } from './engine-fakes.js';

export const MARKER = `${ROOT}fixtures/actions/marker.sh`;

export function markerSession(dir: string, o: { user: string; rollback?: string[] }) {
  const input: PlanInput = {
    service: 'dhash',
    prometheus: PROM,
    audit: { file: 'audit.jsonl' },
    logs: { dir: 'logs' },
    stages: [
      { id: 'canary-10', promote: { run: [MARKER, 'promote-canary'] }, rollback: { run: o.rollback ?? [MARKER, 'rb'] } },
      { id: 'full', rollback: { run: [MARKER, 'rb-full'] } },
    ],
  };
  const clock = new ManualClock();
  const loaded = { plan: planSchema.parse(input), file: join(dir, 'plan.yaml'), dir };
  const engine = new Engine({ loaded, clock, prometheus: new FakeProm(), nodes: null, readFile: async () => '', runCommand: async () => ({ exitCode: 0, timedOut: false, durationMs: 0, tail: '' }) });
  const session = new Session({
    loaded,
    runtime: { engine, clock, close: async () => {} },
    env: { MARKER_DIR: dir, PATH: process.env.PATH! },
    operator: { user: o.user, host: 'bastion' },
    readonly: false,
    dryRun: false,
    autoRollback: true,
    secrets: [],
  });
  return { session, engine, loaded };
}
