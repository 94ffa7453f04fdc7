/** Footer: the filter being typed, a message about the last key, or the key hints from the keymap (a dialog's own while one is open). */
import React from 'react';
import { DIALOG_FOOTER_ORDER, FOOTER_ORDER, bindingFor, keyLabel, type KeyAction } from './keymap.js';
import { Lines, line, seg, type LineSpec, type Seg } from './Line.js';
import type { Theme, Token } from './theme.js';
import type { ExtraKey } from '../src/ui-contract.js';
import { extraKeyLabel } from './extra-keys.js';
import { useTheme } from './ThemeContext.js';

export interface FooterProps {
  width: number;
  editing: 'gates' | 'nodes' | null;
  filterText: string;
  message: { text: string; tok: Token } | null;
  readonly: boolean;
  /** The panels show the past (a freeze or a past poll): the keys that act are refused. */
  past?: boolean;
  /** A dialog is open: its keys are the hints. */
  dialog?: boolean;
  /** Keys of this use of the cockpit (replay's play/pause…), hinted first. */
  extraKeys?: readonly ExtraKey[];
}

/** The footer's actions that read-only mode drops (the binding table's dangerous ones). */
const ACTION_KEYS: readonly KeyAction[] = FOOTER_ORDER.filter((a) => bindingFor(a).dangerous);

export function footerLine(p: FooterProps, theme: Theme): LineSpec {
  if (p.editing) {
    return line(seg(`filter ${p.editing}: `, 'accent'), seg(`/${p.filterText}`, 'title'), seg('_', 'accent'), seg('   Enter keeps it, Esc clears it', 'muted'));
  }
  const hints: Seg[] = [];
  if (!p.dialog) for (const k of p.extraKeys ?? []) hints.push(...(hints.length ? [seg(' ')] : []), seg(extraKeyLabel(k), 'accent'), seg(`:${k.label}`, 'muted'));
  const past = p.past && !p.dialog;
  if (past) {
    for (const [k, word] of [['[', 'earlier'], [']', 'later'], ['Esc', 'live']] as const) hints.push(...(hints.length ? [seg(' ')] : []), seg(k, 'accent'), seg(`:${word}`, 'muted'));
  }
  let offShown = false;
  for (const action of p.dialog ? DIALOG_FOOTER_ORDER : FOOTER_ORDER) {
    const b = bindingFor(action);
    if (!b.hint || (past && action === 'past')) continue;
    if (!p.dialog && (p.readonly || past) && ACTION_KEYS.includes(b.action)) {
      if (offShown) continue;
      offShown = true;
      if (hints.length) hints.push(seg(' '));
      hints.push(seg(ACTION_KEYS.map((a) => keyLabel(bindingFor(a).keys[0]!)).join('/'), 'off'), seg(p.readonly ? ':read-only' : ':live only', 'off'));
      continue;
    }
    if (hints.length) hints.push(seg(' '));
    hints.push(seg(keyLabel(b.keys[0]!), 'accent'), seg(`:${b.hint}`, 'muted'));
  }
  if (p.message) return line(seg(p.message.text, p.message.tok), seg('   '), ...hints);
  return line(...hints);
}

export function Footer(p: FooterProps) {
  const theme = useTheme();
  return <Lines lines={[footerLine(p, theme)]} width={p.width} height={1} />;
}
