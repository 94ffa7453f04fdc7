/**
 * Promote. When the stage is promotable: a confirmation with the gates'
 * cautions and the exact commands, Cancel focused, so Enter alone closes it.
 * When it is not: the guarded override, which lists every blocker and needs
 * a typed reason and the stage id typed exactly before its button works.
 */
import React from 'react';
import type { GateView } from '../../src/engine/types.js';
import type { RolloutStatus } from '../../src/present/rollout-status.js';
import { blockerText } from '../../src/present/values.js';
import type { PromotePreview } from '../../src/ui-contract.js';
import { formatClock, formatCoarseAge, formatRemaining, sanitize, codePointCount } from '../format.js';
import { line, seg, type LineSpec, type Seg } from '../Line.js';
import { stateToken, type Theme } from '../theme.js';
import { useTheme } from '../ThemeContext.js';
import { DialogFrame, type DialogBox } from './DialogFrame.js';
import { fixed, section, spacer, type Section } from './fit.js';
import { fieldValue, type FormItem, type FormState } from './form.js';
import { badge, buttonsLine, commandSections, fieldLine, statusLine, titleLine, wrapped } from './parts.js';
import { useFormDialog, type DialogDeps, type FormDialog } from './use-form-dialog.js';

const CONFIRM_ITEMS: FormItem[] = [
  { id: 'cancel', kind: 'button' },
  { id: 'promote', kind: 'button' },
];
const OVERRIDE_ITEMS: FormItem[] = [
  { id: 'reason', kind: 'field' },
  { id: 'ack', kind: 'field' },
  { id: 'cancel', kind: 'button' },
  { id: 'override', kind: 'button' },
];

/** Characters a reason needs (at least one, whatever the plan says). */
export const reasonNeeded = (p: PromotePreview) => Math.max(1, p.minReasonLength);

/** What the override still needs, in words; empty when it may go. */
export function overrideMissing(p: PromotePreview, f: FormState): string[] {
  const out: string[] = [];
  const reason = codePointCount(fieldValue(f, 'reason').trim());
  if (reason < reasonNeeded(p)) out.push(`a reason of at least ${reasonNeeded(p)} characters (${reason} so far)`);
  if (fieldValue(f, 'ack').trim() !== p.from) out.push(`the stage id "${p.from}" typed exactly`);
  return out;
}

export function usePromoteDialog(deps: DialogDeps): FormDialog<PromotePreview> {
  return useFormDialog<PromotePreview>({
    items: (p) => (p.promotable ? CONFIRM_ITEMS : OVERRIDE_ITEMS),
    requestQuit: deps.requestQuit,
    onButton(id, p, f, api) {
      if (id === 'cancel') return api.close();
      const info = { kind: 'promote' as const, path: [p.from, p.to ?? 'complete'], dryRun: p.dryRun, commands: p.commands };
      if (id === 'promote' && p.promotable) {
        api.close();
        deps.startRun({ ...info, override: false }, () => deps.actions.promote({ stageId: p.from }));
        return;
      }
      if (id !== 'override') return;
      const missing = overrideMissing(p, f);
      if (missing.length) return api.error(`needs ${missing.join(' and ')}`);
      const reason = fieldValue(f, 'reason').trim();
      api.close();
      // The blockers the dialog showed: the session refuses the override if another blocks by then.
      const blockers = p.blockers.map((b) => b.gateId);
      deps.startRun({ ...info, override: true }, () => deps.actions.promote({ stageId: p.from, override: { reason, acknowledged: true, blockers } }));
    },
  });
}

function arrowSegs(theme: Theme, p: PromotePreview): Seg[] {
  const s: Seg[] = [seg(sanitize(p.from), 'title'), seg(` ${theme.glyphs.arrow} `, 'muted'), seg(p.to ? sanitize(p.to) : 'complete', 'title')];
  if (p.dryRun) s.push(seg(' '), badge('DRY RUN'));
  return s;
}

function cautionGroups(theme: Theme, p: PromotePreview): LineSpec[][] {
  return p.cautions.map((c) => [line(seg(`  ${theme.glyphs.state.warn} `, 'warn'), seg(sanitize(c), 'warn'), seg(' (warn band: allowed)', 'muted'))]);
}

function blockerGroups(theme: Theme, p: PromotePreview, width: number, ctx?: PromoteContext): LineSpec[][] {
  return p.blockers.map((b) => {
    const tok = stateToken(b.state);
    // In the gate's own words and unit, as the panels and header say it.
    const text = blockerText(b, ctx?.gates ?? []);
    const head = line(seg(`  ${theme.glyphs.state[b.state]} `, tok), seg(sanitize(b.gateId), 'title'), seg(text.slice(sanitize(b.gateId).length), tok));
    return [head, ...wrapped(b.why, width, 'text', { lead: [seg('      why: ', 'muted')], maxLines: 2, ellipsis: theme.glyphs.ellipsis })];
  });
}

function ConfirmView({ p, f, box }: { p: PromotePreview; f: FormState; box: DialogBox }) {
  const theme = useTheme();
  const focus = CONFIRM_ITEMS[f.focus]?.id;
  const gates =
    p.cautions.length > 0
      ? line(seg('  gates clear, with ', 'ok'), seg(`${p.cautions.length} caution${p.cautions.length === 1 ? '' : 's'}:`, 'warn'))
      : line(seg(`  ${theme.glyphs.state.ok} every gate that guards the promotion is clear; bake done`, 'ok'));
  const sections: Section[] = [
    fixed(1, gates),
    section(2, 1, ...cautionGroups(theme, p)),
    spacer(),
    ...commandSections(theme, p.commands, box.width, 3, 'promote'),
    spacer(),
    fixed(0, buttonsLine(theme, [
      { id: 'cancel', label: 'Cancel', focused: focus === 'cancel', enabled: true },
      { id: 'promote', label: p.to ? 'Promote' : 'Complete', focused: focus === 'promote', enabled: true },
    ])),
    fixed(0, statusLine(f.error, focus === 'promote' ? 'Enter promotes. Esc cancels.' : 'Enter closes (Cancel). Tab or Right, then Enter, promotes.')),
  ];
  return <DialogFrame title={titleLine(theme, 'PROMOTE', 'title', arrowSegs(theme, p), 'Esc cancels')} sections={sections} box={box} />;
}

/** What the dialog reads from the cockpit beside the preview: the gates (units) and the stage's status. */
export interface PromoteContext {
  gates: readonly GateView[];
  status?: RolloutStatus;
  now: number;
  utc?: boolean;
}

function OverrideView({ p, f, box, ctx }: { p: PromotePreview; f: FormState; box: DialogBox; ctx?: PromoteContext }) {
  const theme = useTheme();
  const focus = OVERRIDE_ITEMS[f.focus]?.id;
  const missing = overrideMissing(p, f);
  const reason = fieldValue(f, 'reason');
  const ack = fieldValue(f, 'ack');
  const reasonLen = codePointCount(reason.trim());
  const ackOk = ack.trim() === p.from;
  const needs = [reasonLen < reasonNeeded(p) ? 'reason' : '', ackOk ? '' : 'stage id'].filter(Boolean);
  const why: string[] = [];
  if (p.blockers.length) why.push(`${p.blockers.length} gate${p.blockers.length === 1 ? ' blocks' : 's block'}`);
  if (p.bakeRemainingMs > 0) why.push(`bake ${formatRemaining(p.bakeRemainingMs)} left`);
  const rb = ctx?.status?.rolledBack;
  if (rb) why.unshift('the stage was rolled back');
  const summary = line(seg('  not promotable: ', 'failing'), seg(why.join(', ') || 'waiting for the next evaluation', 'failing'));
  const rolled: LineSpec[] = [];
  if (rb && ctx) {
    const when = rb.at !== undefined ? ` at ${formatClock(rb.at, ctx.utc)} (${formatCoarseAge(ctx.now - rb.at)} ago)` : '';
    rolled.push(line(seg(`  ROLLED BACK${when}`, 'danger'), seg(rb.reason ? `: ${sanitize(rb.reason)}` : '', 'text')));
    rolled.push(line(seg('  promoting now sends traffic to the version that was rolled back', 'warn')));
  }
  const sections: Section[] = [
    fixed(0, summary),
    ...(rolled.length ? [section(0, rolled.length, rolled)] : []),
    section(1, 1, ...blockerGroups(theme, p, box.width, ctx)),
    section(4, 0, ...cautionGroups(theme, p)),
    spacer(),
    fixed(0, fieldLine(theme, {
      label: 'reason',
      value: reason,
      focused: focus === 'reason',
      placeholder: 'why promote over the gates (audited, sent to every notifier)',
      suffix: [seg(`${reasonLen}/${reasonNeeded(p)}`, reasonLen >= reasonNeeded(p) ? 'ok' : 'warn')],
    }, box.width)),
    fixed(0, fieldLine(theme, {
      label: `type ${sanitize(p.from)} to acknowledge`,
      value: ack,
      focused: focus === 'ack',
      suffix: ack ? [seg(ackOk ? theme.glyphs.state.ok : theme.glyphs.state.failing, ackOk ? 'ok' : 'failing')] : [],
    }, box.width)),
    spacer(),
    ...commandSections(theme, p.commands, box.width, 3, 'promote'),
    spacer(),
    fixed(0, buttonsLine(theme, [
      { id: 'cancel', label: 'Cancel', focused: focus === 'cancel', enabled: true },
      { id: 'override', label: 'Override and promote', focused: focus === 'override', enabled: missing.length === 0, danger: true },
    ], missing.length ? [seg('disabled, needs: ', 'muted'), seg(needs.join(', '), 'warn')] : undefined)),
    fixed(1, statusLine(f.error, 'Audited and notified as manual_override, override_acknowledged, override_reason.')),
  ];
  return <DialogFrame title={titleLine(theme, 'GUARDED OVERRIDE', 'danger', arrowSegs(theme, p), 'Esc cancels')} sections={sections} box={box} />;
}

export function PromoteDialog({ p, f, box, ctx }: { p: PromotePreview; f: FormState; box: DialogBox; ctx?: PromoteContext }) {
  return p.promotable ? <ConfirmView p={p} f={f} box={box} /> : <OverrideView p={p} f={f} box={box} ctx={ctx} />;
}
