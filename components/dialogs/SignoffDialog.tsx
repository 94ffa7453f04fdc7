/** Sign-off of a manual gate: the checklist item, a required note, and the session's refusal when there is one. */
import React from 'react';
import type { GateView } from '../../src/engine/types.js';
import type { SignoffOutcome } from '../../src/ui-contract.js';
import { formatClock, sanitize } from '../format.js';
import { line, seg } from '../Line.js';
import { useTheme } from '../ThemeContext.js';
import { DialogFrame, type DialogBox } from './DialogFrame.js';
import { fixed, section, spacer, type Section } from './fit.js';
import { fieldValue, type FormItem, type FormState } from './form.js';
import { buttonsLine, fieldLine, statusLine, titleLine, wrapped } from './parts.js';
import { useFormDialog, type DialogDeps, type FormDialog } from './use-form-dialog.js';

const ITEMS: FormItem[] = [
  { id: 'note', kind: 'field' },
  { id: 'cancel', kind: 'button' },
  { id: 'signoff', kind: 'button' },
];

export function useSignoffDialog(deps: DialogDeps): FormDialog<GateView> {
  return useFormDialog<GateView>({
    items: () => ITEMS,
    requestQuit: deps.requestQuit,
    onButton(id, gate, f, api) {
      if (id === 'cancel') return api.close();
      // Asked already: a second Enter while the guard answers would sign off twice.
      if (id !== 'signoff' || f.busy) return;
      const note = fieldValue(f, 'note').trim();
      if (!note) return api.error('a note is required: what was checked, and how');
      const answered = (res: SignoffOutcome) => {
        const showing = api.isShowing();
        if (!res.ok) {
          if (showing) return api.error(`refused: ${sanitize(res.error)}`);
          return deps.message(`sign-off of ${gate.id} refused: ${sanitize(res.error)}`, 'danger');
        }
        if (showing) api.close();
        deps.message(`signed off ${gate.id}`, 'ok');
      };
      let res: ReturnType<typeof deps.actions.signoff>;
      try {
        res = deps.actions.signoff(gate.id, note, gate.stageId ?? undefined);
      } catch (err) {
        res = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      // Through a guard the answer comes later: the dialog stays open until it says what the guard did.
      if ('then' in res) {
        api.busy("waiting for the guard's answer");
        void res.then(answered);
      } else answered(res);
    },
  });
}

export function SignoffDialog({ gate, f, box, utc }: { gate: GateView; f: FormState; box: DialogBox; utc?: boolean }) {
  const theme = useTheme();
  const focus = ITEMS[f.focus]?.id;
  const note = fieldValue(f, 'note');
  const item = gate.subject && gate.subject !== gate.id ? gate.subject : gate.title;
  const prior = gate.signoff;
  const sections: Section[] = [
    section(0, 1, wrapped(item, box.width, 'text', { lead: [seg('  item: ', 'muted')], maxLines: 3, ellipsis: theme.glyphs.ellipsis })),
    section(3, 0, prior ? wrapped(`signed off by ${prior.operator} at ${formatClock(prior.at, utc)}: ${prior.note}`, box.width, 'muted', { lead: [seg('  ')], maxLines: 2 }) : [line(seg('  not signed off yet', 'muted'))]),
    spacer(),
    fixed(0, fieldLine(theme, { label: 'note', value: note, focused: focus === 'note', placeholder: 'what was checked (required, audited)' }, box.width)),
    spacer(),
    fixed(0, buttonsLine(theme, [
      { id: 'cancel', label: 'Cancel', focused: focus === 'cancel', enabled: true },
      { id: 'signoff', label: 'Sign off', focused: focus === 'signoff', enabled: note.trim() !== '' },
    ], note.trim() ? undefined : [seg('disabled, needs: ', 'muted'), seg('a note', 'warn')])),
    fixed(0, statusLine(f.error, f.busy ?? 'Signed off under your name; audited.')),
  ];
  return <DialogFrame title={titleLine(theme, 'SIGN OFF', 'title', [seg(sanitize(gate.id), 'title')], 'Esc cancels')} sections={sections} box={box} />;
}
