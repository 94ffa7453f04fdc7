/** The confirmed action as it runs (spinner, time, last output line) and then its outcome, until Esc or Enter. */
import React from 'react';
import { useSpinner } from '@inkjs/ui';
import type { CockpitExtras } from '../../src/ui-contract.js';
import { formatAge, sanitize } from '../format.js';
import { useKeyLayer } from '../input/KeyLayers.js';
import { dialogActionFor } from '../keymap.js';
import { line, seg, type LineSpec } from '../Line.js';
import type { Theme, Token } from '../theme.js';
import { useTheme } from '../ThemeContext.js';
import { DialogFrame, type DialogBox } from './DialogFrame.js';
import { fixed, section, spacer, type Section } from './fit.js';
import { badge, buttonsLine, commandSections, statusLine, titleLine, wrapped } from './parts.js';
import { outcomeText, type Run, type RunAction } from './run-state.js';
import { DIALOG_PRIORITY } from './use-ref-reducer.js';

const KIND_TITLE = { promote: 'PROMOTE', rollback: 'ROLL BACK' } as const;

export interface RunKeyDeps {
  requestQuit(): void;
  message(text: string, tok: Token): void;
}

/**
 * While the run is shown (`shownNow`, read at the key), it owns the keyboard:
 * Esc or Enter closes the outcome; while running they hide the dialog (the
 * action goes on). q or Ctrl-C asks to quit.
 */
export function useRunKeys(run: { readonly current: Run | null }, dispatch: (a: RunAction) => void, shownNow: () => boolean, deps: RunKeyDeps): void {
  useKeyLayer(DIALOG_PRIORITY.run, (input, key) => {
    const r = run.current;
    if (!r || !shownNow()) return false;
    if ((key.ctrl && input === 'c') || (input === 'q' && !key.ctrl && !key.meta)) {
      deps.requestQuit();
      return true;
    }
    const a = dialogActionFor(input, key);
    if (a !== 'dialog-close' && a !== 'dialog-activate') return true;
    if (r.outcome) dispatch({ type: 'close' });
    else {
      dispatch({ type: 'hide' });
      deps.message(`${r.info.kind} goes on; the header shows it, and its outcome opens when it ends`, 'accent');
    }
    return true;
  });
}

function runTitle(theme: Theme, run: Run, word: string, tok: Token): LineSpec {
  const summary = [seg(run.info.path.map(sanitize).join(` ${theme.glyphs.arrow} `), 'title'), seg(' '), seg(word, tok)];
  if (run.info.override) summary.push(seg(' '), badge('OVERRIDE'));
  if (run.info.dryRun) summary.push(seg(' '), badge('DRY RUN'));
  return titleLine(theme, KIND_TITLE[run.info.kind], run.info.kind === 'rollback' ? 'rollback' : 'title', summary);
}

function RunningView({ run, now, extras, box }: { run: Run; now: number; extras: CockpitExtras; box: DialogBox }) {
  const theme = useTheme();
  const { frame } = useSpinner({ type: theme.ascii ? 'line' : 'dots' });
  const act = extras.action ?? null;
  const startedAt = act?.startedAt ?? run.startedAt;
  const w = box.width;
  const running = line(seg('  '), seg(frame, 'accent'), seg(` running for ${formatAge(now - startedAt)}`, 'text'), act ? seg(` by ${sanitize(act.operator)}`, 'muted') : undefined);
  const last = act?.lastLine ? sanitize(act.lastLine) : '';
  const sections: Section[] = [
    fixed(0, running),
    section(1, 1, last ? wrapped(last, w, 'text', { lead: [seg('  output: ', 'muted')], maxLines: 2, ellipsis: theme.glyphs.ellipsis }) : [line(seg('  output: ', 'muted'), seg('(none yet)', 'muted'))]),
    spacer(),
    ...commandSections(theme, run.info.commands, w, 3, run.info.kind),
    spacer(),
    fixed(2, statusLine(null, 'Esc hides this; the action goes on (shown in the header).')),
  ];
  return <DialogFrame title={runTitle(theme, run, 'running', 'accent')} sections={sections} box={box} />;
}

function OutcomeView({ run, box }: { run: Run; box: DialogBox }) {
  const theme = useTheme();
  const o = outcomeText(run.info.kind, run.outcome!);
  const tok: Token = o.ok ? 'ok' : 'failing';
  const mark = o.ok ? theme.glyphs.state.ok : theme.glyphs.state.failing;
  const sections: Section[] = [
    section(0, 3, wrapped(o.text, box.width, tok, { lead: [seg('  '), seg(`${mark} `, tok)], ellipsis: theme.glyphs.ellipsis })),
    spacer(),
    ...commandSections(theme, run.info.commands, box.width, 3, run.info.kind),
    spacer(),
    fixed(0, buttonsLine(theme, [{ id: 'close', label: 'Close', focused: true, enabled: true }])),
    fixed(1, statusLine(null, 'Enter or Esc closes.')),
  ];
  return <DialogFrame title={runTitle(theme, run, o.word, o.ok ? 'ok' : 'danger')} sections={sections} box={box} />;
}

export function RunDialog(p: { run: Run; now: number; extras: CockpitExtras; box: DialogBox }) {
  return p.run.outcome ? <OutcomeView run={p.run} box={p.box} /> : <RunningView {...p} />;
}
