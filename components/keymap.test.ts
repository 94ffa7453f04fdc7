/** The binding table: keys resolve to actions, one binding per action, no key bound twice where scopes meet. */
import { describe, expect, it } from 'vitest';
import { inkKey as key } from './testing/keys.js';
import { KEYMAP, actionFor, bindingLabel } from './keymap.js';

describe('keymap', () => {
  it('resolves keys to actions', () => {
    expect(actionFor('', key({ tab: true }))).toBe('focus-next');
    expect(actionFor('', key({ tab: true, shift: true }))).toBe('focus-prev');
    expect(actionFor('j', key())).toBe('row-down');
    expect(actionFor('', key({ downArrow: true }))).toBe('row-down');
    expect(actionFor('Z', key({ shift: true }))).toBe('freeze');
    expect(actionFor('z', key())).toBeUndefined();
    expect(actionFor('l', key({ ctrl: true }))).toBe('redraw');
    expect(actionFor('l', key())).toBeUndefined();
    expect(actionFor('c', key({ ctrl: true }))).toBe('quit');
    expect(actionFor('', key({ escape: true, meta: true }))).toBe('back');
    expect(actionFor('', key({ return: true }))).toBe('open');
  });

  it('has one binding per action and no key bound twice within the scopes in force together', () => {
    const actions = KEYMAP.map((b) => b.action);
    expect(new Set(actions).size).toBe(actions.length);
    const inScopes = (...scopes: string[]) => KEYMAP.filter((b) => scopes.includes(b.scope));
    for (const layer of [inScopes('global', 'list'), inScopes('filter'), inScopes('dialog')]) {
      expect(layer.length).toBeGreaterThan(2);
      const labels = layer.flatMap((b) => bindingLabel(b).split(' / '));
      expect(new Set(labels).size).toBe(labels.length);
    }
  });
});
