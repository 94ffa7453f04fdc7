/** The dialogs through the whole cockpit (80x24), with CockpitActions that record what they were asked. */
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, waitForFrame } from '../testing/render.js';
import { ALICE, blocked, cockpit, deferred, fakeActions, promotable, rollbackPreview } from './testing.js';
import type { ActionOutcomeView, SignoffOutcome } from '../../src/ui-contract.js';
import { T0 } from '../../test/helpers/state-fixture.js';

let open: Array<ReturnType<typeof cockpit>> = [];
function start(...args: Parameters<typeof cockpit>) {
  const t = cockpit(...args);
  open.push(t);
  return t;
}
afterEach(() => {
  for (const t of open) t.r.unmount();
  open = [];
});

describe('promote (promotable)', () => {
  it('shows the stages, cautions and exact commands; Enter alone closes it without promoting', async () => {
    const a = fakeActions();
    const t = start(a);
    await t.ready();
    await t.press('p');
    const f = t.frame();
    expect(f).toContain('PROMOTE canary-10 → canary-50');
    expect(f).toContain('error-budget-burn (warn band: allowed)');
    expect(f).toContain('$ deploy: ./scripts/deploy_dhash.sh --env production --stage canary-50');
    expect(f).toMatch(/▶\[ Cancel \]\s+\[ Promote \]/);
    expect(f).not.toContain('DRY RUN');
    await t.press(KEYS.enter);
    expect(a.calls.promote).toEqual([]);
    expect(t.frame()).not.toContain('PROMOTE canary-10');
    expect(t.frame()).toContain('GATES');
  });

  it('Tab then Enter promotes, once; the outcome stays until Enter closes it', async () => {
    const a = fakeActions({ outcome: { ok: true, summary: 'promote finished in 12s' } });
    const t = start(a);
    await t.ready();
    await t.press('p', KEYS.tab);
    expect(t.frame()).toMatch(/\[ Cancel \]\s+▶\[ Promote \]/);
    await t.press(KEYS.enter);
    await waitForFrame();
    expect(a.calls.promote).toEqual([{ stageId: 'canary-10' }]);
    expect(t.frame()).toContain('PROMOTE canary-10 → canary-50 done');
    expect(t.frame()).toContain('promote finished in 12s');
    await t.press(KEYS.enter);
    expect(t.frame()).not.toContain('promote finished');
    expect(a.calls.promote).toHaveLength(1);
  });

  it('Right also reaches Promote; Left goes back to Cancel; Esc cancels', async () => {
    const a = fakeActions();
    const t = start(a);
    await t.ready();
    await t.press('p', KEYS.right, KEYS.left, KEYS.enter);
    expect(a.calls.promote).toEqual([]);
    await t.press('p', KEYS.right, KEYS.escape);
    expect(a.calls.promote).toEqual([]);
    expect(t.frame()).not.toContain('PROMOTE canary-10');
  });

  it('says DRY RUN, and "complete" for the last stage', async () => {
    const t = start(fakeActions({ promote: promotable({ to: null, dryRun: true, cautions: [] }) }));
    await t.ready();
    await t.press('p');
    expect(t.frame()).toContain('PROMOTE canary-10 → complete  DRY RUN');
    expect(t.frame()).toContain('every gate that guards the promotion is clear');
    expect(t.frame()).toContain('[ Complete ]');
  });

  it('read-only drops the dangerous keys: p, b and s say so in the footer and open nothing', async () => {
    const why = 'read-only: promotion is disabled (started with --readonly)';
    const a = fakeActions({ promote: why, rollback: 'read-only: rollback is disabled (started with --readonly)' });
    const t = start(a, { readonly: true });
    await t.ready();
    expect(t.frame()).toContain('p/b/s:read-only');
    await t.press('p');
    const lines = t.frame().split('\n');
    expect(lines[lines.length - 1]).toContain('read-only (started with --readonly): p (promote to the next stage) is off');
    expect(t.frame()).not.toContain('Enter or Esc closes');
    await t.press('b');
    expect(t.frame()).toContain('read-only (started with --readonly): b (roll back) is off');
    await t.press('G', 's');
    expect(t.frame()).toContain('read-only (started with --readonly): s (sign off a manual gate) is off');
    expect(a.calls.signoff).toEqual([]);
  });
});

describe('guarded override', () => {
  const REASON = 'pool saturation is the known batch job';

  it('lists each blocker with value, threshold and why, and the bake left', async () => {
    const t = start(fakeActions({ promote: blocked() }));
    await t.ready();
    await t.press('p');
    const f = t.frame();
    expect(f).toContain('GUARDED OVERRIDE canary-10 → canary-50');
    expect(f).toContain('not promotable: 2 gates block, bake 4m12s left');
    // Each blocker in its gate's own words (the one formatter the panels use).
    expect(f).toMatch(/✗ extraction-failure-rate failing: 0\.071 > 0\.05/);
    expect(f).toContain('why: 0.071 > 0.05 for 10m of 10m');
    expect(f).toMatch(/◌ pool-saturation (pending|error)/);
    expect(f).toMatch(/\[ Override and promote \]\s+disabled, needs: reason, stage id/);
    expect(f).toMatch(/reason \[.*\] 0\/20/);
  });

  it('refuses a short reason, and a wrong stage id; promote is never called', async () => {
    const a = fakeActions({ promote: blocked() });
    const t = start(a);
    await t.ready();
    await t.press('p');
    await t.type('too short');
    expect(t.frame()).toMatch(/reason \[too short_\s*\] 9\/20/);
    await t.press(KEYS.tab);
    await t.type('canary-10');
    expect(t.frame()).toMatch(/type canary-10 to acknowledge \[canary-10_\s*\] ✓/);
    await t.press(KEYS.tab, KEYS.tab, KEYS.enter);
    expect(t.frame()).toContain('needs a reason of at least 20 characters (9 so far)');
    expect(t.frame()).toContain('GUARDED OVERRIDE');
    // A long enough reason but the stage id mistyped (from the button, Tab wraps round to the reason).
    await t.press(KEYS.tab);
    await t.type(' of a reason that is long');
    await t.press(KEYS.tab, KEYS.backspace);
    expect(t.frame()).toMatch(/\[canary-1_\s*\] ✗/);
    await t.press(KEYS.tab, KEYS.tab, KEYS.enter);
    expect(t.frame()).toContain('needs the stage id "canary-10" typed exactly');
    expect(a.calls.promote).toEqual([]);
    await t.press(KEYS.shiftTab, KEYS.shiftTab);
    await t.type('0');
    await t.press(KEYS.tab, KEYS.tab, KEYS.enter);
    expect(a.calls.promote).toEqual([{ stageId: 'canary-10', override: { reason: 'too short of a reason that is long', acknowledged: true, blockers: ['extraction-failure-rate', 'pool-saturation'] } }]);
  });

  it('with both valid, calls promote with the override, and Enter in a field never confirms', async () => {
    const a = fakeActions({ promote: blocked(), outcome: { ok: true, summary: 'promote finished in 3s' } });
    const t = start(a);
    await t.ready();
    await t.press('p');
    await t.type(REASON);
    await t.press(KEYS.enter);
    await t.type('canary-10');
    await t.press(KEYS.enter);
    expect(a.calls.promote).toEqual([]);
    // Enter moved the focus on to Cancel: another Enter cancels.
    expect(t.frame()).toMatch(/▶\[ Cancel \]/);
    await t.press(KEYS.tab);
    expect(t.frame()).toMatch(/▶\[ Override and promote \]/);
    expect(t.frame()).not.toContain('disabled, needs');
    await t.press(KEYS.enter);
    await waitForFrame();
    expect(a.calls.promote).toEqual([{ stageId: 'canary-10', override: { reason: REASON, acknowledged: true, blockers: ['extraction-failure-rate', 'pool-saturation'] } }]);
    expect(t.frame()).toContain('OVERRIDE');
    expect(t.frame()).toContain('promote finished in 3s');
  });

  it('q and r typed in the reason are text: no quit, no refresh', async () => {
    const a = fakeActions({ promote: blocked() });
    const t = start(a);
    await t.ready();
    await t.press('p');
    await t.type('qr q?/Zjp');
    expect(t.quits()).toBe(0);
    expect(t.commands).toEqual([]);
    expect(t.frame()).toMatch(/reason \[qr q\?\/Zjp_/);
    expect(t.frame()).toContain('GUARDED OVERRIDE');
  });
});

describe('rollback', () => {
  it('needs the service name or the stage id typed; optional steps are off unless ticked', async () => {
    const a = fakeActions();
    const t = start(a);
    await t.ready();
    await t.press('b');
    let f = t.frame();
    expect(f).toContain('ROLL BACK canary-10 (dhash)');
    expect(f).toContain('$ previous-tag: ./scripts/deploy_dhash.sh --tag v1.2.2');
    expect(f).toContain('[ ] restore-snapshot');
    expect(f).toMatch(/\[ Roll back \]\s+disabled, needs: dhash or canary-10 typed/);
    // Straight to the button: refused.
    await t.press(KEYS.shiftTab, KEYS.enter);
    expect(t.frame()).toContain('type dhash or canary-10 exactly to enable the rollback');
    await t.press(KEYS.tab);
    await t.type('dhas');
    await t.press(KEYS.shiftTab, KEYS.enter);
    expect(a.calls.rollback).toEqual([]);
    await t.press(KEYS.tab);
    await t.type('h');
    f = t.frame();
    expect(f).toMatch(/type dhash or canary-10 to confirm \[dhash_\s*\] ✓/);
    await t.press(KEYS.shiftTab, KEYS.enter);
    await waitForFrame();
    expect(a.calls.rollback).toEqual([{ stageId: 'canary-10', expectNotRolledBack: true, includeOptional: [] }]);
  });

  it('Space ticks an optional step; the reason and the ticked steps go with the rollback', async () => {
    const a = fakeActions();
    const t = start(a);
    await t.ready();
    await t.press('b');
    await t.type('canary-10');
    await t.press(KEYS.tab);
    await t.type('errors up');
    await t.press(KEYS.tab, ' ');
    expect(t.frame()).toContain('[x] restore-snapshot');
    await t.press(' ');
    expect(t.frame()).toContain('[ ] restore-snapshot');
    await t.press(' ', KEYS.tab, KEYS.tab, KEYS.enter);
    await waitForFrame();
    expect(a.calls.rollback).toEqual([{ stageId: 'canary-10', expectNotRolledBack: true, reason: 'errors up', includeOptional: ['restore-snapshot'] }]);
  });
});

describe('rolling back a stage rolled back already', () => {
  it('says it runs the steps again, and asks without the not-rolled-back condition', async () => {
    const a = fakeActions({ rollback: rollbackPreview({ rolledBack: true }) });
    const t = start(a);
    await t.ready();
    await t.press('b');
    expect(t.frame()).toContain('canary-10 was rolled back already: this runs its steps again');
    await t.type('canary-10');
    await t.press(KEYS.shiftTab, KEYS.enter);
    await waitForFrame();
    expect(a.calls.rollback).toEqual([{ stageId: 'canary-10', includeOptional: [] }]);
  });
});

describe('running and outcome', () => {
  it('shows a spinner, the elapsed time and the last output line while it runs, then the outcome', async () => {
    const d = deferred<ActionOutcomeView>();
    const a = fakeActions({ outcome: () => d.promise });
    const t = start(a, { now: T0 });
    await t.ready();
    await t.press('b');
    await t.type('dhash');
    await t.press(KEYS.shiftTab, KEYS.enter);
    expect(t.frame()).toContain('ROLL BACK canary-10 (dhash) running');
    expect(t.frame()).toContain('running for 0s');
    t.rerender({ now: T0 + 42_000, extras: { action: { kind: 'rollback', operator: 'bob', startedAt: T0, lastLine: 'step 2/3: tag v1.2.2' } } });
    await waitForFrame();
    expect(t.frame()).toMatch(/running for 42s by bob/);
    expect(t.frame()).toContain('output: step 2/3: tag v1.2.2');
    // Esc hides it; the action goes on.
    await t.press(KEYS.escape);
    expect(t.frame()).not.toContain('running for');
    expect(t.frame()).toContain('rollback goes on');
    // Its outcome opens by itself.
    d.resolve({ ok: false, summary: "rollback failed at step 'restore': exit 3" });
    await waitForFrame();
    expect(t.frame()).toContain('ROLL BACK canary-10 (dhash) FAILED');
    expect(t.frame()).toContain("rollback failed at step 'restore': exit 3");
    await t.press(KEYS.escape);
    expect(t.frame()).not.toContain('FAILED');
  });

  it('an outcome that arrives while another dialog is open waits for it to close', async () => {
    const d = deferred<ActionOutcomeView>();
    const a = fakeActions({ outcome: () => d.promise });
    const t = start(a);
    await t.ready();
    await t.press('p', KEYS.tab, KEYS.enter, KEYS.escape, 'G', 's');
    expect(t.frame()).toContain('SIGN OFF go-live-signoff');
    d.resolve({ ok: false, refused: 'not promotable: extraction-failure-rate failing' });
    await waitForFrame();
    await t.type('ok');
    expect(t.frame()).toMatch(/note \[ok_/);
    await t.press(KEYS.escape);
    expect(t.frame()).toContain('refused: not promotable: extraction-failure-rate failing');
    await t.press(KEYS.enter);
    expect(t.frame()).not.toContain('REFUSED');
  });

  it('a refused action says exactly why', async () => {
    const a = fakeActions({ outcome: { ok: false, refused: 'rollback by alice@bastion running for 42 s' } });
    const t = start(a);
    await t.ready();
    await t.press('p', KEYS.tab, KEYS.enter);
    await waitForFrame();
    expect(t.frame()).toContain('PROMOTE canary-10 → canary-50 REFUSED');
    expect(t.frame()).toContain('refused: rollback by alice@bastion running for 42 s');
  });

  it('a rejected promise is a failure that says why', async () => {
    const a = fakeActions({ outcome: () => Promise.reject(new Error('lock file unreadable')) });
    const t = start(a);
    await t.ready();
    await t.press('p', KEYS.tab, KEYS.enter);
    await waitForFrame();
    expect(t.frame()).toContain('promote failed: lock file unreadable');
  });

  it('p while its own action runs shows it again instead of a second dialog', async () => {
    const d = deferred<ActionOutcomeView>();
    const a = fakeActions({ outcome: () => d.promise });
    const t = start(a);
    await t.ready();
    await t.press('p', KEYS.tab, KEYS.enter, KEYS.escape, 'p');
    expect(t.frame()).toContain('PROMOTE canary-10 → canary-50 running');
    expect(a.calls.promote).toHaveLength(1);
    d.resolve({ ok: true, summary: 'done' });
    await waitForFrame();
  });
});

describe('quit', () => {
  it('asks while an action runs: Stay is the default, Quit needs focus and Enter', async () => {
    const a = fakeActions({ running: ALICE });
    const t = start(a, { now: T0 });
    await t.ready();
    await t.press('q');
    expect(t.quits()).toBe(0);
    expect(t.frame()).toContain('rollback by alice is running (42s).');
    expect(t.frame()).toContain('Quit anyway? The action will be stopped and its processes killed.');
    expect(t.frame()).toMatch(/▶\[ Stay \]\s+\[ Quit \]/);
    await t.press(KEYS.enter);
    expect(t.quits()).toBe(0);
    expect(t.frame()).not.toContain('Quit anyway');
    await t.press(KEYS.ctrlC);
    expect(t.frame()).toContain('Quit anyway');
    await t.press(KEYS.ctrlC, 'q');
    expect(t.quits()).toBe(0);
    expect(t.frame()).toContain('Quit anyway');
    await t.press(KEYS.tab, KEYS.enter);
    expect(t.quits()).toBe(1);
  });

  it('quits at once when nothing runs (q and Ctrl-C), and without actions', async () => {
    const t = start(fakeActions());
    await t.ready();
    await t.press('q');
    expect(t.quits()).toBe(1);
    await t.press(KEYS.ctrlC);
    expect(t.quits()).toBe(2);
    const bare = start(undefined);
    await bare.ready();
    await bare.press('q');
    expect(bare.quits()).toBe(1);
  });

  it('q in the running dialog asks (a field-less dialog), and quits at once once nothing runs', async () => {
    const d = deferred<ActionOutcomeView>();
    const a = fakeActions({ outcome: () => d.promise });
    const t = start(a, { now: T0 });
    await t.ready();
    await t.press('p', KEYS.tab, KEYS.enter);
    a.runningNow = ALICE;
    await t.press('q');
    expect(t.frame()).toContain('rollback by alice is running (42s).');
    await t.press(KEYS.escape);
    expect(t.frame()).toContain('running for');
    expect(t.quits()).toBe(0);
    a.runningNow = null;
    await t.press('q');
    expect(t.quits()).toBe(1);
    d.resolve({ ok: true });
    await waitForFrame();
  });

  it('Ctrl-C inside a dialog asks too while an action runs, and Stay returns to the dialog', async () => {
    const a = fakeActions({ running: ALICE, promote: blocked() });
    const t = start(a, { now: T0 });
    await t.ready();
    await t.press('p');
    await t.type('abc');
    await t.press(KEYS.ctrlC);
    expect(t.frame()).toContain('Quit anyway');
    await t.press(KEYS.escape);
    expect(t.frame()).toMatch(/reason \[abc_/);
    expect(t.quits()).toBe(0);
  });
});

describe('sign-off', () => {
  it('s on a manual gate: a required note, then signoff(gate, note)', async () => {
    const a = fakeActions();
    const t = start(a);
    await t.ready();
    await t.press('G', 's');
    expect(t.frame()).toContain('SIGN OFF go-live-signoff');
    expect(t.frame()).toContain('item: go-live sign-off');
    await t.press(KEYS.tab, KEYS.tab, KEYS.enter);
    expect(a.calls.signoff).toEqual([]);
    expect(t.frame()).toContain('a note is required');
    await t.press(KEYS.tab);
    await t.type('checked the go-live list with ops');
    await t.press(KEYS.tab, KEYS.tab, KEYS.enter);
    expect(a.calls.signoff).toEqual([['go-live-signoff', 'checked the go-live list with ops', 'canary-10']]);
    expect(t.frame()).not.toContain('SIGN OFF');
    expect(t.frame()).toContain('signed off go-live-signoff');
  });

  it('shows the refusal and stays open', async () => {
    const a = fakeActions({ signoff: () => ({ ok: false, error: 'alice may not sign off go-live-signoff (allowed: bob)' }) });
    const t = start(a);
    await t.ready();
    await t.press('G', 's');
    await t.type('done');
    await t.press(KEYS.enter, KEYS.tab, KEYS.enter);
    expect(t.frame()).toContain('refused: alice may not sign off go-live-signoff (allowed: bob)');
    expect(t.frame()).toContain('SIGN OFF go-live-signoff');
  });

  /** The sign-off dialog on go-live-signoff through a guard (its answer held until `answer.resolve`): the note typed, [Sign off] focused. */
  async function signoffThroughGuard() {
    const answer = deferred<SignoffOutcome>();
    const a = fakeActions({ signoff: () => answer.promise });
    const t = start(a);
    await t.ready();
    await t.press('G', 's');
    await t.type('checked the go-live list');
    await t.press(KEYS.tab, KEYS.tab);
    return { answer, a, t };
  }

  it("through a guard (an answer that comes later): stays open until it comes, then closes, or shows the guard's refusal", async () => {
    for (const answer of [{ ok: true } as const, { ok: false, error: 'the rollout is at canary-50 now, not canary-10 as confirmed (it moved meanwhile): nothing was done' } as const]) {
      const { answer: d, t } = await signoffThroughGuard();
      await t.press(KEYS.enter);
      expect(t.frame()).toContain('SIGN OFF go-live-signoff');
      expect(t.frame()).not.toContain('signed off go-live-signoff');
      d.resolve(answer);
      await waitForFrame();
      if (answer.ok) {
        expect(t.frame()).not.toContain('SIGN OFF');
        expect(t.frame()).toContain('signed off go-live-signoff');
      } else {
        expect(t.frame()).toContain('SIGN OFF go-live-signoff');
        expect(t.frame()).toContain('refused: the rollout is at canary-50 now, not canary-10 as confirmed');
      }
    }
  });

  it('while the guard answers, Enter again (or in the same burst) asks once; an answer after Esc goes to the footer', async () => {
    const { answer: d, a, t } = await signoffThroughGuard();
    await t.press(`${KEYS.enter}${KEYS.enter}`);
    await t.press(KEYS.enter);
    expect(a.calls.signoff).toHaveLength(1);
    expect(t.frame()).toContain("waiting for the guard's answer");
    await t.press(KEYS.escape);
    expect(t.frame()).not.toContain('SIGN OFF');
    d.resolve({ ok: false, error: 'the rollout is at full now, not canary as confirmed (it moved meanwhile): nothing was done' });
    await waitForFrame();
    expect(t.frame()).not.toContain('SIGN OFF');
    expect(t.frame()).toContain('sign-off of go-live-signoff refused: the rollout is at full now');
  });

  it('s on a gate that is not manual says so; from the gate detail it signs that gate', async () => {
    const a = fakeActions();
    const t = start(a);
    await t.ready();
    await t.press('s');
    expect(t.frame()).toContain('extraction-failure-rate is a query gate; only manual gates take a sign-off');
    await t.press('G', KEYS.enter, 's');
    expect(t.frame()).toContain('SIGN OFF go-live-signoff');
    const bare = start(undefined);
    await bare.ready();
    await bare.press('s');
    expect(bare.frame()).toContain('sign-off is not available here');
  });
});

describe('bursts', () => {
  it('keys in the same burst as the one that opened a dialog go to that dialog, not the cockpit', async () => {
    const a = fakeActions();
    const t = start(a);
    await t.ready();
    // p, Right, Enter in one read (typeahead over SSH): Ink splits it at the escape sequence.
    await t.press(`p${KEYS.right}${KEYS.enter}`);
    await waitForFrame();
    expect(a.calls.promote).toEqual([{ stageId: 'canary-10' }]);
    const b = start(fakeActions({ running: ALICE }));
    await b.ready();
    // q opens the quit question; Right (Quit), Left (back to Stay), Enter: stays.
    await b.press(`q${KEYS.right}${KEYS.left}${KEYS.enter}`);
    expect(b.quits()).toBe(0);
    expect(b.frame()).toContain('GATES');
    expect(b.frame()).not.toContain('Quit anyway');
    await b.press(`q${KEYS.right}${KEYS.enter}`);
    expect(b.quits()).toBe(1);
  });
});

describe('keys are listed', () => {
  it('the footer shows the dialog keys while one is open; ? lists them', async () => {
    const t = start(fakeActions());
    await t.ready();
    await t.press('p');
    const last = t.frame().split('\n').pop()!;
    expect(last).toContain('Tab:next Enter:press Esc:cancel Space:tick');
    // The help scrolls what does not fit: G is its end, where the dialog keys are.
    await t.press(KEYS.escape, '?', 'G');
    expect(t.frame()).toContain('In a dialog');
  });
});
