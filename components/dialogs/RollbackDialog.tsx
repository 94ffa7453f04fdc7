/**
 * Roll back: the stage, the exact commands, the optional steps as a checklist
 * (none ticked by default), an optional reason, and the service name or the
 * stage id typed to enable the button.
 */
import React from 'react';
import type { RollbackPreview } from '../../src/ui-contract.js';
import { sanitize } from '../format.js';
import { line, seg, type Seg } from '../Line.js';
import { useTheme } from '../ThemeContext.js';
import { DialogFrame, type DialogBox } from './DialogFrame.js';
import { fixed, spacer, type Section } from './fit.js';
import { fieldValue, type FormItem, type FormState } from './form.js';
import { badge, buttonsLine, checkLine, commandSections, fieldLine, statusLine, titleLine } from './parts.js';
import { useFormDialog, type DialogDeps, type FormDialog } from './use-form-dialog.js';

const STEP = 'step:';

export function rollbackItems(p: RollbackPreview): FormItem[] {
  return [
    { id: 'confirm', kind: 'field' },
    { id: 'reason', kind: 'field' },
    ...p.optionalSteps.map((s): FormItem => ({ id: STEP + s, kind: 'check' })),
    { id: 'cancel', kind: 'button' },
    { id: 'rollback', kind: 'button' },
  ];
}

/** True when the typed word is one of the preview's confirm words, exactly. */
export const rollbackConfirmed = (p: RollbackPreview, f: FormState) => p.confirmWords.includes(fieldValue(f, 'confirm').trim());

/** The ticked optional steps, in the plan's order. */
export const ticked = (p: RollbackPreview, f: FormState) => p.optionalSteps.filter((s) => f.checked.includes(STEP + s));

const wordsText = (p: RollbackPreview) => p.confirmWords.map(sanitize).join(' or ');

export function useRollbackDialog(deps: DialogDeps): FormDialog<RollbackPreview> {
  return useFormDialog<RollbackPreview>({
    items: rollbackItems,
    requestQuit: deps.requestQuit,
    onButton(id, p, f, api) {
      if (id === 'cancel') return api.close();
      if (id !== 'rollback') return;
      if (!rollbackConfirmed(p, f)) return api.error(`type ${wordsText(p)} exactly to enable the rollback`);
      const reason = fieldValue(f, 'reason').trim();
      const includeOptional = ticked(p, f);
      api.close();
      deps.startRun({ kind: 'rollback', path: [`${p.stage} (${p.service})`], override: false, dryRun: p.dryRun, commands: p.commands }, () =>
        // A stage shown not rolled back is not rolled back twice: refused if another operator or the guard did meanwhile.
        deps.actions.rollback({ stageId: p.stage, ...(p.rolledBack ? {} : { expectNotRolledBack: true }), ...(reason ? { reason } : {}), includeOptional }),
      );
    },
  });
}

function titleSegs(p: RollbackPreview): Seg[] {
  const s: Seg[] = [seg(sanitize(p.stage), 'title'), seg(` (${sanitize(p.service)})`, 'muted')];
  if (p.dryRun) s.push(seg(' '), badge('DRY RUN'));
  return s;
}

export function RollbackDialog({ p, f, box }: { p: RollbackPreview; f: FormState; box: DialogBox }) {
  const theme = useTheme();
  const items = rollbackItems(p);
  const focus = items[f.focus]?.id;
  const confirm = fieldValue(f, 'confirm');
  const ok = rollbackConfirmed(p, f);
  const steps: Section[] = p.optionalSteps.length
    ? [
        fixed(3, line(seg('optional steps (Space ticks; none by default):', 'muted'))),
        ...p.optionalSteps.map((s) => fixed(0, checkLine(theme, s, f.checked.includes(STEP + s), focus === STEP + s))),
      ]
    : [];
  const sections: Section[] = [
    ...(p.rolledBack ? [fixed(1, line(seg(`${sanitize(p.stage)} was rolled back already: this runs its steps again`, 'warn')))] : []),
    ...commandSections(theme, p.commands, box.width, 2, 'rollback'),
    spacer(),
    fixed(0, fieldLine(theme, {
      label: `type ${wordsText(p)} to confirm`,
      value: confirm,
      focused: focus === 'confirm',
      suffix: confirm ? [seg(ok ? theme.glyphs.state.ok : theme.glyphs.state.failing, ok ? 'ok' : 'failing')] : [],
    }, box.width)),
    fixed(0, fieldLine(theme, { label: 'reason (optional)', value: fieldValue(f, 'reason'), focused: focus === 'reason', placeholder: 'audited and notified' }, box.width)),
    ...steps,
    spacer(),
    fixed(0, buttonsLine(theme, [
      { id: 'cancel', label: 'Cancel', focused: focus === 'cancel', enabled: true },
      { id: 'rollback', label: 'Roll back', focused: focus === 'rollback', enabled: ok, danger: true },
    ], ok ? undefined : [seg('disabled, needs: ', 'muted'), seg(`${wordsText(p)} typed`, 'warn')])),
    fixed(1, statusLine(f.error, focus === 'rollback' && ok ? 'Enter rolls back. Esc cancels.' : 'Tab moves on; Enter on [Roll back] rolls back.')),
  ];
  return <DialogFrame title={titleLine(theme, 'ROLL BACK', 'rollback', titleSegs(p), 'Esc cancels')} sections={sections} box={box} />;
}
