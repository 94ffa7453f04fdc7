/** The report as GitHub-flavoured Markdown: verdict, stages, gates, timelines, actions, alerts, notifications. */
import { clockTime, dateTime, offset, span } from './format.js';
import type { ReportModel } from './model.js';
import { actionTitle, exitCodeText, KIND_LABEL, notificationLine, stageHow, stageLeft, thresholdsText, VERDICT_TITLE, windowLine } from './words.js';

/** Inline text: Markdown punctuation escaped, HTML neutralised, one line. */
export function mdText(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/([`*_[\]|~])/g, '\\$1');
}

/** Inline code, safe inside a table cell. */
export function mdCode(s: string): string {
  const one = s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...one.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}

/** A fenced block that no line of the text can close. */
export function mdFence(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.replace(/\n$/, '')}\n${fence}`;
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderMarkdown(m: ReportModel): string {
  const at = (t: number) => `${offset(t, m.window.start)} (${clockTime(t)})`;
  const out: string[] = [];
  const push = (...blocks: string[]) => out.push(...blocks, '');

  push(`# ${mdText(m.service)} · ${mdText(m.environment)} — ${VERDICT_TITLE[m.verdict.outcome]}`);
  if (m.description) push(`_${mdText(m.description)}_`);
  push(`> **Verdict: ${VERDICT_TITLE[m.verdict.outcome].toUpperCase()}**`, ...m.verdict.reasons.map((r) => `> - ${mdText(r)}`));
  const decisive = m.decisive.map((k) => m.gates.find((g) => g.key === k)).filter((g) => g !== undefined);
  if (decisive.length) {
    push(
      `**Decided by:** ${decisive
        .map((g) => `${mdCode(g.id)}${g.stageId ? ` (${mdCode(g.stageId)})` : ''} reached ${g.reached}${g.failingMs ? `, failing for ${span(g.failingMs)}` : ''}${g.worst ? `, worst ${mdText(g.worst.display)}` : ''}`)
        .join('; ')}`,
    );
  }

  const meta: string[][] = [
    ['Plan', mdCode(m.planFile)],
    ['Window', `${dateTime(m.window.start)} → ${dateTime(m.window.end)}`],
    ['Duration', mdText(windowLine(m))],
    ['Polls', `${m.polls.count}${m.polls.failed ? ` (${m.polls.failed} with errors)` : ''}`],
  ];
  if (m.operator) meta.push(['Recorded by', mdText(m.operator)]);
  if (m.speed !== undefined) meta.push(['Demo speed', `×${m.speed}`]);
  push(meta.map(([k, v]) => `- **${k}:** ${v}`).join('\n'));
  if (m.warnings.length) push(...m.warnings.map((w) => `> [!WARNING]\n> ${mdText(w)}`));

  push('## Stages');
  const stageRows = m.stages.flatMap((s) =>
    s.visits.length === 0
      ? [[String(s.index + 1), mdCode(s.id), '–', '–', '–', '–', '–', '–', span(s.bakeMs), s.finalStatus]]
      : s.visits.map((v) => [
          String(s.index + 1),
          mdCode(s.id),
          at(v.enteredAt),
          stageHow(v),
          v.leftAt !== undefined ? at(v.leftAt) : '–',
          stageLeft(v),
          v.rolledBackAt !== undefined ? at(v.rolledBackAt) : v.leftBy === 'rollback' ? at(v.leftAt!) : '–',
          span((v.leftAt ?? m.window.end) - v.enteredAt),
          span(s.bakeMs),
          s.finalStatus,
        ]),
  );
  push(table(['#', 'Stage', 'Entered', 'How', 'Left', 'How', 'Rolled back', 'Time in stage', 'Bake', 'Status'], stageRows));

  push('## Gates');
  if (m.gates.length === 0) push('No gate was evaluated.');
  else
    push(
      table(
        ['Gate', 'Stage', 'Kind', 'On fail', 'Final state', 'Worst value', 'Time failing', 'Changes', 'Thresholds'],
        m.gates.map((g) => [
          mdCode(g.id),
          g.stageId ? mdCode(g.stageId) : 'plan-wide',
          KIND_LABEL[g.kind],
          g.onFail,
          `**${g.finalState}** ${mdText(g.finalDisplay)}`,
          g.worst ? `${mdText(g.worst.display)} (${offset(g.worst.at, m.window.start)}; reached ${g.reached})` : `– (reached ${g.reached})`,
          span(g.failingMs),
          String(g.timeline.length),
          mdText(thresholdsText(g)),
        ]),
      ),
    );

  push('## Gate timelines');
  for (const g of m.gates) {
    push(`### ${mdCode(g.id)}${g.stageId ? ` · ${mdText(g.stageId)}` : ' · plan-wide'}${g.title !== g.id ? ` — ${mdText(g.title)}` : ''}`);
    push(`Checks ${mdCode(g.subject)} · ${mdText(thresholdsText(g))} · on fail: ${g.onFail}${g.mode !== 'enforce' ? ` (mode ${g.mode})` : ''} · ${g.evaluations} evaluations`);
    if (g.timeline.length === 0) push('- never evaluated');
    else push(g.timeline.map((c) => `- ${at(c.at)} — ${c.from} → **${c.to}** · ${mdText(c.display)} — ${mdText(c.why)}`).join('\n'));
  }

  push('## Actions');
  if (m.actions.length === 0) push('No promote or rollback ran.');
  else {
    push(
      table(
        ['Started', 'Action', 'Operator', 'Reason', 'Override', 'Result', 'Duration'],
        m.actions.map((a) => [
          at(a.startedAt),
          mdText(actionTitle(a)),
          mdText(a.operator),
          a.reason ? mdText(a.reason) : '–',
          a.override ? 'yes' : '–',
          `**${a.result}**`,
          span(a.durationMs),
        ]),
      ),
    );
    for (const a of m.actions) {
      push(`### ${mdText(actionTitle(a))} at ${at(a.startedAt)}`);
      const facts = [`by ${mdText(a.operator)}`, `result **${a.result}**`];
      if (a.summary) facts.push(mdText(a.summary));
      push(facts.join(' · '));
      if (a.override) {
        push(
          table(
            ['Override field', 'Value'],
            [
              [mdCode('manual_override'), String(a.override.manual_override)],
              [mdCode('override_acknowledged'), String(a.override.override_acknowledged)],
              [mdCode('override_reason'), mdText(a.override.override_reason)],
            ],
          ),
        );
      }
      if (a.steps.length) push(table(['Step', 'Status', 'Exit code', 'Duration'], a.steps.map((s) => [mdCode(s.name), s.status, exitCodeText(s.exitCode, s.status), span(s.durationMs)])));
      for (const s of a.steps.filter((x) => x.status !== 'ok' && x.status !== 'skipped' && x.tail.length)) {
        push(`Output of ${mdCode(s.name)}:`);
        push(mdFence(s.tail.join('\n'), 'text'));
      }
    }
  }
  if (m.refusals.length) {
    push('### Refused');
    push(m.refusals.map((r) => `- ${at(r.at)} — ${r.action} of ${mdCode(r.stageId)} refused: ${mdText(r.why)}`).join('\n'));
  }

  push('## Overrides');
  if (m.overrides.length === 0) push('No guarded override.');
  else
    push(
      table(
        ['At', 'Stage', 'Operator', 'Blockers', 'manual_override', 'override_acknowledged', 'override_reason'],
        m.overrides.map((o) => [at(o.at), mdCode(o.stageId), mdText(o.operator), o.blockers.map(mdCode).join(', ') || '–', String(o.fields.manual_override), String(o.fields.override_acknowledged), mdText(o.fields.override_reason)]),
      ),
    );

  if (m.rollbackRequests.length) {
    push('## Rollback requests');
    push(m.rollbackRequests.map((r) => `- ${at(r.at)} — ${r.auto ? 'auto-rollback' : 'rollback'} of ${mdCode(r.stageId)} by gate ${mdCode(r.gateId)}: ${mdText(r.reason)}`).join('\n'));
  }
  if (m.signoffs.length) {
    push('## Sign-offs');
    push(m.signoffs.map((s) => `- ${at(s.at)} — ${mdCode(s.gateId)} signed off by ${mdText(s.operator)}: ${mdText(s.note)}`).join('\n'));
  }

  push('## Alerts');
  if (m.alerts.length === 0) push('No alert fired.');
  else
    push(
      table(
        ['Alert', 'Source', 'Severity', 'Fired', 'Resolved', 'For', 'Summary'],
        m.alerts.map((a) => [mdText(a.name), a.source, a.severity, at(a.firedAt), a.resolvedAt !== undefined ? at(a.resolvedAt) : 'still firing', span(a.durationMs), mdText(a.summary)]),
      ),
    );

  push('## Nodes and Prometheus');
  if (m.nodes.events.length === 0 && m.prometheus.length === 0) push('Every node stayed up; Prometheus never went down.');
  else {
    const rows = [
      ...m.nodes.events.map((e) => ({ at: e.at, row: [at(e.at), mdCode(e.node), e.kind, e.reason ? mdText(e.reason) : '–'] })),
      ...m.prometheus.map((p) => ({ at: p.at, row: [at(p.at), 'Prometheus', p.kind, p.error ? mdText(p.error) : '–'] })),
    ].sort((a, b) => a.at - b.at);
    push(table(['At', 'Source', 'Went', 'Reason'], rows.map((r) => r.row)));
    if (m.nodes.outages.length) push(m.nodes.outages.map((o) => `- ${mdCode(o.node)}: down ${o.downs}× for ${span(o.downMs)} in all${o.downAtEnd ? ', still down at the end' : ''}`).join('\n'));
  }

  push('## Notifications');
  push(notificationLine(m));
  if (m.notifications.channels.length) {
    push(table(['Channel', 'Delivered', 'Retried', 'Failed', 'Fallback'], m.notifications.channels.map((c) => [mdCode(c.channel), String(c.delivered), String(c.retries), String(c.failed), String(c.fallback)])));
  }
  if (m.notifications.failures.length) {
    push(m.notifications.failures.map((f) => `- ${at(f.at)} — ${mdCode(f.channel)} ${f.outcome} after attempt ${f.attempt}${f.error ? `: ${mdText(f.error)}` : ''}`).join('\n'));
  }

  push('## Plan');
  push(`${mdCode(m.planFile)} as recorded:`);
  push(mdFence(m.planText, 'yaml'));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
