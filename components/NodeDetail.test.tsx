/** The node detail's health body, as field paths. */
import { expect, it } from 'vitest';
import { flattenBody } from './NodeDetail.js';

it('flattens a health body into field paths', () => {
  expect(flattenBody({ a: { b: [1, { c: 'x' }] }, d: null, e: {} })).toEqual([
    ['a.b.0', '1'],
    ['a.b.1.c', 'x'],
    ['d', 'null'],
    ['e', '{}'],
  ]);
});

it('has no field for a node that never sent a body (not "(body) undefined")', () => {
  expect(flattenBody(undefined)).toEqual([]);
  expect(flattenBody('ok')).toEqual([['(body)', 'ok']]);
});
