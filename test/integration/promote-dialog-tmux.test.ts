/**
 * Promoting through the cockpit's dialog, in tmux, as an operator would:
 * Enter alone on the dialog runs nothing; Tab to Promote then Enter runs the
 * stage's promote script once, and the cockpit moves to the next stage.
 * A blocked stage needs the guarded override: a typed reason and the stage id.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BIN, ROOT } from '../helpers/cli.js';
import { startTmux, type TmuxPane } from '../helpers/tmux.js';

const MARKER = `${ROOT}fixtures/actions/marker.sh`;
let dir: string;
let pane: TmuxPane | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-dialog-'));
});
afterEach(async () => {
  pane?.kill();
  pane = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function plan(smokeExit: number) {
  await writeFile(
    join(dir, 'plan.yaml'),
    stringify({
      service: 'dhash',
      polling: { window: '60m', phases: [{ every: '2s' }], hot: '1s' },
      audit: { file: 'audit.jsonl' },
      stages: [
        {
          id: 'canary-10',
          gates: [{ id: 'smoke', command: { run: ['bash', '-c', `exit ${smokeExit}`] }, onFail: 'block' }],
          promote: { run: [MARKER, 'promote-canary', '--to', '50'] },
          rollback: { run: [MARKER, 'rollback-canary'] },
        },
        { id: 'canary-50', promote: { run: [MARKER, 'promote-50'] } },
      ],
    }),
  );
}

// The script's `>>` creates the file a moment before it writes its line: an empty file is no line yet.
const order = async () => (existsSync(join(dir, 'order')) ? (await readFile(join(dir, 'order'), 'utf8')).split('\n').filter(Boolean) : []);

it('Enter alone does nothing; Tab then Enter promotes once', async () => {
  await plan(0);
  pane = startTmux(`${BIN} watch plan.yaml --no-guard`, { cols: 120, rows: 36, cwd: dir, env: { MARKER_DIR: dir } });
  await pane.waitFor(/ok\s+smoke/, { what: 'the smoke gate ok' });
  await pane.waitFor(/PROMOTABLE/, { what: 'the stage promotable' });
  pane.send('p');
  let screen = await pane.waitFor(/promote-canary --to 50/, { what: 'the confirm dialog with the exact command' });
  expect(screen).toMatch(/canary-10\s*(->|→)\s*canary-50/);
  pane.send('Enter');
  await pane.waitFor((s) => !/promote-canary --to 50/.test(s), { what: 'the dialog closed by Enter on Cancel' });
  await new Promise((r) => setTimeout(r, 800));
  expect(await order()).toEqual([]);

  pane.send('p');
  await pane.waitFor(/promote-canary --to 50/, { what: 'the dialog again' });
  pane.send('Tab');
  await pane.waitFor(/Enter promotes/, { what: 'focus on Promote' });
  pane.send('Enter');
  screen = await pane.waitFor(/canary-50/, { what: 'the promote to finish' });
  await pane.waitFor(async () => (await order()).length === 1, { what: 'the promote script to run' });
  expect(await order()).toEqual(['promote-canary']);
  pane.send('Escape');
  await pane.waitFor(/stage 2\/2|●\s*canary-50/, { what: 'canary-50 current' });
  pane.send('q');
  await pane.waitFor(() => !pane!.alive(), { what: 'exit' });
  const audit = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  expect(audit.filter((l) => l.action === 'promote').map((l) => l.result)).toEqual(['started', 'ok']);
}, 60_000);

it('a blocked stage needs a typed reason and the stage id; typing q in the reason does not quit', async () => {
  await plan(1);
  pane = startTmux(`${BIN} watch plan.yaml --no-guard`, { cols: 120, rows: 36, cwd: dir, env: { MARKER_DIR: dir } });
  await pane.waitFor(/failing\s+smoke/, { what: 'the smoke gate failing' });
  pane.send('p');
  await pane.waitFor(/override/i, { what: 'the guarded override dialog' });
  pane.type('quick fix, smoke flaky; verified by hand');
  await pane.waitFor(/quick fix, smoke flaky/, { what: 'the reason typed' });
  expect(pane.alive()).toBe(true);
  pane.send('Tab');
  pane.type('canary-10');
  await pane.waitFor(/acknowledge \[canary-10_?\s*\] ✓/, { what: 'the stage id accepted' });
  pane.send('Tab'); // Cancel
  pane.send('Tab'); // Override and promote
  await pane.waitFor(/▶\[ Override and promote \]/, { what: 'focus on the override button' });
  pane.send('Enter');
  await pane.waitFor(async () => (await order()).length === 1, { what: 'the override promote to run' });
  expect(await order()).toEqual(['promote-canary']);
  // The script has written its marker but may still be running: q is pressed once the action has
  // ended on screen (the next stage is entered in the same tick as the end), and must then quit at once.
  await pane.waitFor(/●\s*canary-50/, { what: 'canary-50 current: the promote has ended' });
  pane.send('Escape');
  pane.send('q');
  await pane.waitFor(() => !pane!.alive(), { what: 'exit' });
  const audit = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  expect(audit.find((l) => l.action === 'override')).toMatchObject({ override: { manual_override: true, override_acknowledged: true, override_reason: 'quick fix, smoke flaky; verified by hand' } });
}, 60_000);
