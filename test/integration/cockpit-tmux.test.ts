/**
 * The cockpit as an on-call engineer uses it: the real binary in tmux, a real
 * Prometheus scraping the simulated fleet, keys sent with send-keys and the
 * screen read with capture-pane.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Fleet } from '../../src/simulator/index.js';
import { ERROR_RATE, startLiveFleet, type LiveFleet } from '../helpers/live-fleet.js';
import { BIN } from '../helpers/cli.js';
import type { RunningPrometheus } from '../helpers/prometheus.js';
import { startTmux, type TmuxPane } from '../helpers/tmux.js';

let live: LiveFleet;
let fleet: Fleet;
let prom: RunningPrometheus;
let dir: string;
let pane: TmuxPane | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-tmux-'));
  live = await startLiveFleet({ nodes: 3, seed: 5 });
  ({ fleet, prom } = live);
  await writeFile(
    join(dir, 'plan.yaml'),
    stringify({
      service: 'dhash',
      prometheus: { url: prom.url, timeout: '2s' },
      nodes: fleet.planNodes(),
      polling: { window: '60m', phases: [{ every: '2s' }], hot: '1s', jitter: 0 },
      audit: { file: 'audit.jsonl' },
      stages: [
        {
          id: 'canary-10',
          gates: [
            { id: 'error-rate', query: ERROR_RATE, unit: 'ratio', fail: '> 0.05', warn: '> 0.03', for: '5s', onFail: 'block' },
            { id: 'health', health: { consecutiveFailures: 2 }, onFail: 'block' },
            { id: 'pool-saturation', healthField: 'database_pool.state.saturation', unit: 'ratio', fail: '>= 0.90', forProbes: 3 },
          ],
        },
        { id: 'full' },
      ],
    }),
  );
}, 60_000);

afterAll(async () => {
  pane?.kill();
  await live?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('shows a breach go pending then failing, opens detail and help, survives resizes, quits cleanly', async () => {
  // CI=true as on a CI runner: the cockpit must still draw live (Ink would otherwise wait for exit).
  pane = startTmux(`${BIN} watch plan.yaml --no-guard`, { cols: 120, rows: 40, cwd: dir, env: { CI: 'true' } });
  let screen = await pane.waitFor(/error-rate/, { what: 'the gates panel' });
  expect(screen).toMatch(/dhash production/);
  await pane.waitFor(/ok\s+error-rate\s+[\d.]+%/, { what: 'error-rate ok with its value' });
  expect(pane.alternateOn()).toBe(true);

  await fleet.setFault('all', { errorRate: 0.3 });
  screen = await pane.waitFor(/pending\s+error-rate\s+[\d.]+%/, { timeoutMs: 20_000, what: 'error-rate pending' });
  screen = await pane.waitFor(/failing\s+error-rate\s+[\d.]+%/, { timeoutMs: 20_000, what: 'error-rate failing' });
  expect(screen).toMatch(/BLOCKED|blocked/i);
  const value = /failing\s+error-rate\s+([\d.]+)%/.exec(screen)![1]!;
  expect(Number(value)).toBeGreaterThan(5);

  // Gate detail: the cursor starts on the most severe gate.
  pane.send('Enter');
  screen = await pane.waitFor(/rate\(http_requests_total/, { what: 'the gate detail with its query' });
  expect(screen).toMatch(/failing/);
  pane.send('Escape');
  await pane.waitFor((s) => !/rate\(http_requests_total\{status/.test(s) && /GATES/.test(s), { what: 'back to the dashboard' });

  pane.send('?');
  screen = await pane.waitFor(/help/i, { what: 'the help overlay' });
  expect(screen).toMatch(/refresh/);
  pane.send('Escape');

  pane.resize(80, 24);
  screen = await pane.waitFor((s) => /error-rate/.test(s) && s.split('\n').every((l) => l.length <= 80), { what: 'the 80x24 layout' });
  expect(screen).toMatch(/failing/);
  pane.resize(120, 40);
  await pane.waitFor(/NODES/, { what: 'the wide layout again' });

  await fleet.clearFaults();
  pane.send('q');
  await pane.waitFor(() => !pane!.alive(), { what: 'flightdeck to exit' });
  // tmux records the exit status a moment after the pane dies.
  await pane.waitFor(() => pane!.exitStatus() !== undefined, { what: 'the exit status' });
  expect(pane.exitStatus()).toBe(0);
  expect(pane.alternateOn()).toBe(false);
  // The last cursor and screen modes the program set: cursor shown, main screen back.
  const raw = pane.raw().toString('latin1');
  const modes = [...raw.matchAll(/\x1b\[\?(25|1049)([hl])/g)].map((m) => m[1]! + m[2]!);
  expect(modes.lastIndexOf('1049l')).toBeGreaterThan(modes.lastIndexOf('1049h'));
  expect(modes.filter((m) => m.startsWith('25')).at(-1)).toBe('25h');
}, 120_000);
