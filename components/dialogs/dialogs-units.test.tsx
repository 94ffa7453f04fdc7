/** The dialogs' pure parts: row budget, wrapping, the form reducer and its keys, the run reducer, the sign-off target. */
import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { inkKey as key } from '../testing/keys.js';
import { actionFor, dialogActionFor, KEYMAP } from '../keymap.js';
import { line, seg } from '../Line.js';
import { gate, makeState } from '../../test/helpers/state-fixture.js';
import { allocateRows, cutSection, fitSections, fixed, section, spacer } from './fit.js';
import { emptyForm, formKey, formReducer, MAX_FIELD_LENGTH, type FormAction, type FormItem } from './form.js';
import { wrapWords } from './parts.js';
import { failedOutcome, outcomeText, runReducer, type RunInfo } from './run-state.js';
import { signoffTarget } from './signoff-target.js';

const text = (l: { segs: Array<{ text: string }> }) => l.segs.map((s) => s.text).join('');
const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => line(`${prefix}${i + 1}`));

describe('row budget', () => {
  it('gives every section its least by priority, then the rest by priority, never more than the height', () => {
    const s = [fixed(0, line('title')), section(2, 1, lines('cmd', 5)), spacer(), section(1, 1, lines('blk', 4)), fixed(0, line('buttons'))];
    expect(allocateRows(s, 20)).toEqual([1, 5, 1, 4, 1]);
    expect(allocateRows(s, 6)).toEqual([1, 1, 0, 3, 1]);
    expect(allocateRows(s, 3)).toEqual([1, 0, 0, 1, 1]);
    expect(allocateRows(s, 0)).toEqual([0, 0, 0, 0, 0]);
    for (const h of [0, 1, 2, 5, 9, 30]) expect(fitSections(s, h).length).toBeLessThanOrEqual(h);
  });

  it('cuts a section: first lines of every group, then "+N more"; in one row, the first line', () => {
    const s = section(0, 0, [line('a1'), line('a2')], [line('b1'), line('b2')], [line('c1')]);
    expect(cutSection(s, 5).map(text)).toEqual(['a1', 'a2', 'b1', 'b2', 'c1']);
    expect(cutSection(s, 4).map(text)).toEqual(['a1', 'a2', 'b1', 'c1']);
    expect(cutSection(s, 3).map(text)).toEqual(['a1', 'b1', 'c1']);
    expect(cutSection(s, 2).map(text)).toEqual(['a1', '  +2 more']);
    expect(cutSection(s, 1).map(text)).toEqual(['a1']);
    expect(cutSection(s, 0)).toEqual([]);
  });
});

describe('wrapping', () => {
  it('wraps at words, splits a word longer than the line, and ends a cut text with the ellipsis', () => {
    expect(wrapWords('rollback by alice@bastion running for 42 s', 16)).toEqual(['rollback by', 'alice@bastion', 'running for 42 s']);
    expect(wrapWords('abcdefghij kl', 4)).toEqual(['abcd', 'efgh', 'ij', 'kl']);
    expect(wrapWords('one two three four', 8, 2, '~')).toEqual(['one two', 'three~']);
    expect(wrapWords('', 10)).toEqual(['']);
    expect(wrapWords('a\u001b[31mred\nline', 20)).toEqual(['ared line']);
  });
});

describe('form', () => {
  const ITEMS: FormItem[] = [
    { id: 'reason', kind: 'field' },
    { id: 'step:x', kind: 'check' },
    { id: 'cancel', kind: 'button' },
    { id: 'go', kind: 'button' },
  ];
  function drive(focus: number, input: string, k: Partial<Key> = {}) {
    const actions: FormAction[] = [];
    const calls: string[] = [];
    formKey(ITEMS, { ...emptyForm(focus), values: { reason: 'ab' } }, (a) => actions.push(a), input, key(k), {
      onButton: (id) => calls.push(`button:${id}`),
      onClose: () => calls.push('close'),
      onQuit: () => calls.push('quit'),
    });
    return { actions, calls };
  }

  it('types printable text, drops control characters, keeps at most MAX_FIELD_LENGTH, erases by character', () => {
    let f = formReducer(emptyForm(), { type: 'type', id: 'r', text: 'q\u0007r\u001b' });
    expect(f.values['r']).toBe('qr');
    f = formReducer(f, { type: 'type', id: 'r', text: 'é✓' });
    f = formReducer(f, { type: 'erase', id: 'r' });
    expect(f.values['r']).toBe('qré');
    f = formReducer(f, { type: 'type', id: 'r', text: 'x'.repeat(500) });
    expect([...f.values['r']!].length).toBe(MAX_FIELD_LENGTH);
    f = formReducer({ ...f, error: 'too short' }, { type: 'toggle', id: 'step:x' });
    expect(f.checked).toEqual(['step:x']);
    expect(f.error).toBeNull();
    expect(formReducer(f, { type: 'toggle', id: 'step:x' }).checked).toEqual([]);
  });

  it('Enter in a field or on a checkbox moves on; on a button it presses that button', () => {
    expect(drive(0, '', { return: true })).toEqual({ actions: [{ type: 'focus', index: 1 }], calls: [] });
    expect(drive(1, '', { return: true }).actions).toEqual([{ type: 'focus', index: 2 }]);
    expect(drive(2, '', { return: true }).calls).toEqual(['button:cancel']);
    expect(drive(3, '', { return: true }).calls).toEqual(['button:go']);
  });

  it('Tab and arrows move the focus (Left/Right only among buttons); Esc closes; Ctrl-C asks to quit', () => {
    expect(drive(3, '', { tab: true }).actions).toEqual([{ type: 'focus', index: 0 }]);
    expect(drive(0, '', { tab: true, shift: true }).actions).toEqual([{ type: 'focus', index: 3 }]);
    expect(drive(0, '', { downArrow: true }).actions).toEqual([{ type: 'focus', index: 1 }]);
    expect(drive(2, '', { rightArrow: true }).actions).toEqual([{ type: 'focus', index: 3 }]);
    expect(drive(3, '', { rightArrow: true }).actions).toEqual([{ type: 'focus', index: 2 }]);
    expect(drive(0, '', { rightArrow: true }).actions).toEqual([]);
    expect(drive(0, '', { escape: true }).calls).toEqual(['close']);
    expect(drive(0, 'c', { ctrl: true }).calls).toEqual(['quit']);
  });

  it('letters are text in a field, ignored on buttons; Space ticks a checkbox and is a space in a field', () => {
    expect(drive(0, 'q').actions).toEqual([{ type: 'type', id: 'reason', text: 'q' }]);
    expect(drive(0, ' ').actions).toEqual([{ type: 'type', id: 'reason', text: ' ' }]);
    expect(drive(1, ' ').actions).toEqual([{ type: 'toggle', id: 'step:x' }]);
    expect(drive(3, 'y')).toEqual({ actions: [], calls: [] });
    expect(drive(0, '', { backspace: true }).actions).toEqual([{ type: 'erase', id: 'reason' }]);
    expect(drive(0, '', { delete: true }).actions).toEqual([{ type: 'erase', id: 'reason' }]);
  });

  it('q asks to quit only where nothing is typed (a dialog with no field)', () => {
    expect(drive(3, 'q').calls).toEqual([]);
    const calls: string[] = [];
    const buttons: FormItem[] = [{ id: 'cancel', kind: 'button' }, { id: 'go', kind: 'button' }];
    formKey(buttons, emptyForm(0), () => {}, 'q', key(), { onButton: () => calls.push('button'), onClose: () => calls.push('close'), onQuit: () => calls.push('quit') });
    expect(calls).toEqual(['quit']);
  });
});

describe('keymap', () => {
  it('s signs off; dialog keys are resolved apart from the cockpit keys', () => {
    expect(actionFor('s', key())).toBe('signoff');
    expect(actionFor('', key({ tab: true }))).toBe('focus-next');
    expect(dialogActionFor('', key({ tab: true }))).toBe('dialog-next');
    expect(dialogActionFor(' ', key())).toBe('dialog-toggle');
    expect(dialogActionFor('', key({ delete: true }))).toBe('dialog-erase');
    expect(dialogActionFor('q', key())).toBeUndefined();
    expect(dialogActionFor('p', key())).toBeUndefined();
    const dialogActions = KEYMAP.filter((b) => b.group === 'Dialogs').map((b) => b.action);
    for (const b of KEYMAP) for (const k of b.keys) {
      const input = k.char ?? '';
      const kk = key({ ctrl: !!k.ctrl, shift: !!k.shift, tab: k.name === 'tab', return: k.name === 'return', escape: k.name === 'escape', upArrow: k.name === 'up', downArrow: k.name === 'down', leftArrow: k.name === 'left', rightArrow: k.name === 'right', backspace: k.name === 'backspace', pageUp: k.name === 'pageup', pageDown: k.name === 'pagedown', home: k.name === 'home', end: k.name === 'end' });
      expect(dialogActions).not.toContain(actionFor(input, kk));
      if (b.group === 'Dialogs') expect(dialogActionFor(input, kk)).toBe(b.action);
    }
  });
});

describe('run', () => {
  const info: RunInfo = { kind: 'rollback', path: ['canary-10 (dhash)'], override: false, dryRun: false, commands: [] };

  it('keeps only the outcome of the run it started; hidden runs come back with their outcome', () => {
    let r = runReducer(null, { type: 'start', id: 2, info, startedAt: 5 });
    r = runReducer(r, { type: 'hide' });
    expect(r?.visible).toBe(false);
    r = runReducer(r, { type: 'done', id: 1, outcome: { ok: true } });
    expect(r?.outcome).toBeNull();
    r = runReducer(r, { type: 'done', id: 2, outcome: { ok: false, refused: 'lock held' } });
    expect(r).toMatchObject({ visible: true, outcome: { refused: 'lock held' } });
    expect(runReducer(r, { type: 'close' })).toBeNull();
  });

  it('words the outcome: refused says why, a failure its summary, a rejection its error', () => {
    expect(outcomeText('rollback', { ok: false, refused: 'rollback by alice@bastion running for 42 s' })).toEqual({ word: 'REFUSED', text: 'refused: rollback by alice@bastion running for 42 s', ok: false });
    expect(outcomeText('promote', { ok: true, summary: 'promote finished in 12s' }).text).toBe('promote finished in 12s');
    expect(outcomeText('promote', { ok: false }).text).toBe('promote failed (no summary given)');
    expect(failedOutcome('promote', new Error('EACCES'))).toEqual({ ok: false, summary: 'promote failed: EACCES' });
  });
});

describe('sign-off target', () => {
  const state = makeState();
  const manual = gate('go-live-signoff', 'off', { kind: 'manual' });
  const gates = [...state.gates.filter((g) => g.id !== manual.id), manual];

  it('is the selected gate of the focused gates panel, or the open gate; manual only', () => {
    expect(signoffTarget({ kind: 'main' }, 'gates', 'go-live-signoff', gates, gates)).toEqual({ gate: manual });
    expect(signoffTarget({ kind: 'gate', id: 'go-live-signoff' }, 'nodes', undefined, [], gates)).toEqual({ gate: manual });
    expect(signoffTarget({ kind: 'main' }, 'gates', undefined, gates, gates)).toEqual({ message: `${gates[0]!.id} is a ${gates[0]!.kind} gate; only manual gates take a sign-off` });
    expect(signoffTarget({ kind: 'main' }, 'nodes', undefined, gates, gates)).toEqual({ message: 'select a manual gate in GATES (or open it) and press s' });
    expect(signoffTarget({ kind: 'main' }, 'gates', undefined, [], gates)).toEqual({ message: 'no gate selected' });
  });
});
