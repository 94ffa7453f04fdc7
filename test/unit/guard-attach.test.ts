/**
 * A cockpit attached to a guard (AttachedSession over the real control server
 * on a Unix socket, a real Session running a real script): what the cockpit
 * reads matches what the guard knows at the moments the operator acts on.
 *  - When the cockpit learns an action's outcome (its command answered), the
 *    action is no longer running in its mirror: `q` then quits at once (#16),
 *    as in the in-process cockpit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AttachedSession } from '../../src/guard/attach.js';
import { startControlServer, type ControlServer } from '../../src/guard/server.js';
import { cockpitActions } from '../../src/cli/cockpit-actions.js';
import { markerSession } from '../helpers/marker-session.js';

let dir: string;
const cleanup: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-attach-unit-'));
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

async function guarded(o: { rollback?: string[]; onStop?: () => void } = {}) {
  const { session, engine, loaded } = markerSession(dir, { user: 'guard', rollback: o.rollback });
  await engine.poll();
  const socket = join(dir, 'guard.sock');
  const server: ControlServer = await startControlServer({ socket, session, proofDir: join(dir, 'proofs'), startedAt: Date.now(), planFile: loaded.file, onStop: o.onStop ?? (() => undefined), log: () => undefined });
  cleanup.push(async () => {
    await server.close();
    await session.stop({ flushMs: 0 });
  });
  const attached = await AttachedSession.connect(socket, loaded.plan, { readonly: false });
  cleanup.push(() => attached.detach());
  return { session, attached };
}

for (const kind of ['promote', 'rollback'] as const) {
  it(`${kind} from an attached cockpit: once its outcome is in, nothing runs in the cockpit's eyes (q quits at once)`, async () => {
    const { attached } = await guarded();
    const actions = cockpitActions(attached, { dryRun: false });
    const out = kind === 'promote' ? await actions.promote({}) : await actions.rollback({ reason: 'test' });
    expect(out).toMatchObject({ ok: true });
    // What the quit key, the header and the dialogs read, in the tick the outcome is shown.
    expect(actions.running()).toBeNull();
    expect(attached.extras().action).toBeNull();
  });
}

it("the session's own lines are events: a guard's note reaches the attached cockpit's events, and the cockpit's own notes sit among them by time", async () => {
  const { session, attached } = await guarded();
  session.note({ text: 'audit write failed: disk full', topic: 'audit', level: 'error' });
  const notes = () => attached.engine.getState().events.filter((e) => e.type === 'session.note').map((e) => (e as { text: string }).text);
  // The stream brings it (and the "a cockpit attached" note before it) within a bounded wait.
  for (let i = 0; i < 100 && !notes().includes('audit write failed: disk full'); i++) await new Promise((r) => setTimeout(r, 20));
  expect(notes()).toEqual(['a cockpit attached (1 now)', 'audit write failed: disk full']);
  expect(attached.engine.getState().events.find((e) => e.type === 'session.note' && e.text.startsWith('audit'))).toMatchObject({ topic: 'audit', level: 'error' });
  // A note of this cockpit's only; the same object until something changes (the cockpit's snapshot).
  attached.note('sign-off refused: not yours', 'warn');
  const a = attached.engine.getState();
  expect(attached.engine.getState()).toBe(a);
  expect(notes()).toEqual(['a cockpit attached (1 now)', 'audit write failed: disk full', 'sign-off refused: not yours']);
  expect(session.engine.getState().events.some((e) => e.type === 'session.note' && e.text.startsWith('sign-off'))).toBe(false);
});

it('a cockpit whose own rollback is still running can still ask the guard something else (to stop) at once, not behind the pending answer of the rollback', async () => {
  let stops = 0;
  const { attached, session } = await guarded({ rollback: ['bash', '-c', 'sleep 8'], onStop: () => stops++ });
  // The rollback's command answers when the rollback has ended (8 s): it must not hold up the next command.
  const rollback = attached.rollback({ reason: 'long one' });
  for (let i = 0; i < 200 && !session.actionRunning; i++) await new Promise((r) => setTimeout(r, 20));
  expect(session.actionRunning).not.toBeNull();
  const asked = Date.now();
  const out = await attached.stopGuard();
  const took = Date.now() - asked;
  expect(out).toMatchObject({ ok: true });
  expect(stops).toBe(1);
  expect(took).toBeLessThan(4_000); // it answered while the rollback ran (the old client queued it behind the rollback and timed out)
  expect(session.actionRunning).not.toBeNull();
  expect((await rollback).ok).toBe(true);
}, 30_000);
