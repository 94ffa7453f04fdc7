/**
 * "An action is running" ends at the action's own end: a `q` typed in the very
 * tick the action finishes quits at once, with no "quit while an action runs?"
 * question. A real session runs a real script (fixtures/actions/marker.sh); the
 * key is pressed from the action.finished listener, before the session has
 * written its audit line or released its lock.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cockpitActions } from '../../src/cli/cockpit-actions.js';
import { waitForFrame } from '../testing/render.js';
import { cockpit } from './testing.js';
import { markerSession } from '../../test/helpers/marker-session.js';

let dir: string;
let unmount: (() => void) | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-quit-end-'));
});
afterEach(async () => {
  unmount?.();
  unmount = null;
  await rm(dir, { recursive: true, force: true });
});

function session() {
  const { session: s, engine } = markerSession(dir, { user: 'alice' });
  return { s, engine };
}

for (const kind of ['promote', 'rollback'] as const) {
  it(`${kind}: q pressed in the tick the action ends quits at once`, async () => {
    const { s, engine } = session();
    await engine.poll();
    const t = cockpit(cockpitActions(s, { dryRun: false }), { now: Date.now() });
    unmount = () => t.r.unmount();
    await t.ready();
    let runningAtEnd: unknown = 'unset';
    engine.on((e) => {
      if (e.type !== 'action.finished') return;
      runningAtEnd = s.actionRunning;
      t.r.stdin.write('q');
    });
    const out = await (kind === 'promote' ? s.promote() : s.rollback());
    expect(out.ok).toBe(true);
    await waitForFrame();
    expect(runningAtEnd).toBeNull();
    expect(t.quits()).toBe(1);
    expect(t.frame()).not.toContain('QUIT?');
    // The audit line of the action was still written (the end is shown first, the bookkeeping follows).
    const audit = (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { action: string; result: string });
    expect(audit.at(-1)).toMatchObject({ action: kind, result: 'ok' });
    await s.stop({ flushMs: 0 });
  });
}

it('a second action asked for while the first writes its audit line waits for it, and is never refused by our own lock', async () => {
  const { s, engine } = session();
  await engine.poll();
  let second: Promise<unknown> | null = null;
  engine.on((e) => {
    // As a key would: a moment after the end is shown, while the audit line is being written.
    if (e.type === 'action.finished' && e.action === 'promote' && !second) second = new Promise((r) => setImmediate(r)).then(() => s.rollback());
  });
  const first = await s.promote();
  expect(first.ok).toBe(true);
  expect(second).not.toBeNull();
  const out = (await second!) as { ok: boolean; refused?: string };
  expect(out.refused).toBeUndefined();
  expect(out.ok).toBe(true);
  const order = (await readFile(join(dir, 'order'), 'utf8')).trim().split('\n');
  expect(order).toEqual(['promote-canary', 'rb-full']);
  await s.stop({ flushMs: 0 });
});
