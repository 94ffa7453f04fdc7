/**
 * The report as one self-contained HTML page: inline CSS and hand-drawn
 * inline SVG, no external fonts, scripts or images. Every string from the
 * recording goes through `esc`. Timeline entries carry data-gate, data-stage,
 * data-at, data-from and data-to, so tools (and tests) can read them back.
 */
import type { GateState } from '../engine/types.js';
import { clockTime, dateTime, offset, span } from './format.js';
import { gateChart, STAGE_COLOURS, stageBar, STATE_COLOURS } from './html-chart.js';
import { domId, esc, stateClass } from './html-escape.js';
import { CSS } from './html-style.js';
import type { ActionReport, GateReport, ReportModel } from './model.js';
import { actionTitle, exitCodeText, KIND_LABEL, notificationLine, stageHow, stageLeft, thresholdsText, VERDICT_TITLE, windowLine } from './words.js';

const badge = (state: GateState) => `<span class="badge ${stateClass(state)}">${esc(state)}</span>`;

function table(head: string[], rows: string[][], cls = ''): string {
  return `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

const td = (html: string, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;
const code = (s: string) => `<code>${esc(s)}</code>`;

export function renderHtml(m: ReportModel): string {
  const at = (t: number) => `<span class="time" title="${esc(dateTime(t))}">${esc(offset(t, m.window.start))}<small>${esc(clockTime(t))}</small></span>`;
  const verdictCls = `v-${m.verdict.outcome.replace(/\s+/g, '-')}`;
  const sections: string[] = [];
  const decisive = m.decisive.map((k) => m.gates.find((g) => g.key === k)).filter((g): g is GateReport => g !== undefined);
  if (decisive.length) {
    sections.push(
      `<section class="card ${verdictCls}" id="decided"><h2>What decided it <small>${esc(decidedLine(m))}</small></h2>${decisive.map((g) => gateArticle(g, m, at)).join('\n')}</section>`,
    );
  }

  sections.push(`<section class="card" id="stages"><h2>Stages</h2>${stageBar(m)}
<div class="legend">${stageLegend(m)}</div>
${table(
    ['#', 'Stage', 'Entered', 'How', 'Left', 'How', 'Rolled back', 'Time in stage', 'Bake', 'Status'],
    m.stages.flatMap((s) =>
      s.visits.length === 0
        ? [[td(String(s.index + 1), 'num'), td(code(s.id)), td('–'), td('–'), td('–'), td('–'), td('–'), td('–'), td(esc(span(s.bakeMs))), td(`<span class="muted">${esc(s.finalStatus)}</span>`)]]
        : s.visits.map((v) => [
            td(String(s.index + 1), 'num'),
            td(code(s.id)),
            td(at(v.enteredAt), 'time'),
            td(esc(stageHow(v))),
            td(v.leftAt !== undefined ? at(v.leftAt) : '–', 'time'),
            td(esc(stageLeft(v))),
            td(v.rolledBackAt !== undefined ? at(v.rolledBackAt) : v.leftBy === 'rollback' ? at(v.leftAt!) : '–', 'time'),
            td(esc(span((v.leftAt ?? m.window.end) - v.enteredAt)), 'num'),
            td(esc(span(s.bakeMs)), 'num'),
            td(s.rolledBack ? `<span class="badge s-failing">${esc(s.finalStatus)}</span>` : esc(s.finalStatus)),
          ]),
    ),
    'stages',
  )}</section>`);

  sections.push(`<section class="card" id="gates"><h2>Gates</h2>${
    m.gates.length === 0
      ? '<p class="muted">No gate was evaluated.</p>'
      : table(
          ['Gate', 'Stage', 'Kind', 'On fail', 'Final state', 'Worst value', 'Time failing', 'Changes', 'Thresholds'],
          m.gates.map((g) => [
            td(`<a href="#${domId('gate', g.key)}">${code(g.id)}</a>`),
            td(g.stageId ? code(g.stageId) : '<span class="muted">plan-wide</span>'),
            td(esc(KIND_LABEL[g.kind])),
            td(esc(g.onFail)),
            td(`${badge(g.finalState)} <span class="mono">${esc(g.finalDisplay)}</span>`),
            td(g.worst ? `<span class="mono">${esc(g.worst.display)}</span> ${reachedBadge(g)}` : reachedBadge(g)),
            td(esc(span(g.failingMs)), 'num'),
            td(String(g.timeline.length), 'num'),
            td(esc(thresholdsText(g))),
          ]),
          'gates',
        )
  }</section>`);

  const stateLegend = `<div class="legend">${(Object.keys(STATE_COLOURS) as GateState[]).map((st) => `<span><i style="background:${STATE_COLOURS[st].strong}"></i>${esc(st)}</span>`).join('')}<span><i style="background:none;border-top:2px dashed #cf222e;border-radius:0;height:0;width:16px"></i>fail threshold</span><span><i style="background:none;border-top:2px dashed #b08800;border-radius:0;height:0;width:16px"></i>warn threshold</span></div>`;
  const rest = m.gates.filter((g) => !m.decisive.includes(g.key));
  const eventful = rest.filter((g) => !quietGate(g));
  const quiet = rest.filter(quietGate);
  sections.push(
    `<section id="timelines"><h2>Gate timelines</h2>${stateLegend}${eventful.map((g) => gateArticle(g, m, at)).join('\n')}${quiet.length ? quietTable(quiet, m, at) : ''}</section>`,
  );
  sections.push(actionsSection(m, at));
  sections.push(`<section class="card" id="overrides"><h2>Overrides</h2>${
    m.overrides.length === 0
      ? '<p class="muted">No guarded override.</p>'
      : m.overrides
          .map(
            (o) =>
              `<div class="override" data-stage="${esc(o.stageId)}"><p>${at(o.at)} <b>${esc(o.operator)}</b> overrode ${code(o.stageId)} past ${o.blockers.map(code).join(' ') || 'no blockers'}</p><dl><dt>manual_override</dt><dd>${esc(o.fields.manual_override)}</dd><dt>override_acknowledged</dt><dd>${esc(o.fields.override_acknowledged)}</dd><dt>override_reason</dt><dd>${esc(o.fields.override_reason)}</dd></dl></div>`,
          )
          .join('')
  }${
    m.rollbackRequests.length
      ? `<h3>Rollback requests</h3>${table(
          ['At', 'Stage', 'Gate', 'Auto', 'Reason'],
          m.rollbackRequests.map((r) => [td(at(r.at), 'time'), td(code(r.stageId)), td(code(r.gateId)), td(r.auto ? 'yes' : 'no'), td(esc(r.reason))]),
        )}`
      : ''
  }${
    m.signoffs.length
      ? `<h3>Sign-offs</h3>${table(['At', 'Gate', 'Operator', 'Note'], m.signoffs.map((s) => [td(at(s.at), 'time'), td(code(s.gateId)), td(esc(s.operator)), td(esc(s.note))]))}`
      : ''
  }</section>`);

  sections.push(`<section class="card" id="alerts"><h2>Alerts</h2>${
    m.alerts.length === 0
      ? '<p class="muted">No alert fired.</p>'
      : table(
          ['Alert', 'Source', 'Severity', 'Fired', 'Resolved', 'For', 'Summary'],
          m.alerts.map((a) => [
            td(`<b>${esc(a.name)}</b>`),
            td(esc(a.source)),
            td(`<span class="badge ${a.severity === 'critical' ? 's-failing' : a.severity === 'warning' ? 's-warn' : 's-no-data'}">${esc(a.severity)}</span>`),
            td(at(a.firedAt), 'time'),
            td(a.resolvedAt !== undefined ? at(a.resolvedAt) : '<b>still firing</b>', 'time'),
            td(esc(span(a.durationMs)), 'num'),
            td(esc(a.summary)),
          ]),
        )
  }</section>`);

  const nodeRows = [
    ...m.nodes.events.map((e) => ({ at: e.at, row: [td(at(e.at), 'time'), td(code(e.node)), td(`<span class="badge ${stateClass(e.kind === 'down' ? 'failing' : 'ok')}">${e.kind}</span>`), td(esc(e.reason ?? '–'))] })),
    ...m.prometheus.map((p) => ({ at: p.at, row: [td(at(p.at), 'time'), td('Prometheus'), td(esc(p.kind)), td(esc(p.error ?? '–'))] })),
  ].sort((a, b) => a.at - b.at);
  sections.push(`<section class="card" id="nodes"><h2>Nodes and Prometheus</h2>${
    nodeRows.length === 0
      ? '<p class="muted">Every node stayed up; Prometheus never went down.</p>'
      : `${table(['At', 'Source', 'Went', 'Reason'], nodeRows.map((r) => r.row))}${m.nodes.outages.length ? `<ul>${m.nodes.outages.map((o) => `<li>${code(o.node)}: down ${o.downs}× for ${esc(span(o.downMs))} in all${o.downAtEnd ? ', <b>still down at the end</b>' : ''}</li>`).join('')}</ul>` : ''}`
  }</section>`);

  const n = m.notifications;
  sections.push(`<section class="card" id="notifications"><h2>Notifications</h2>${
    n.channels.length === 0
      ? `<p class="muted">${esc(notificationLine(m))}</p>`
      : `<p><span class="stat"><b>${n.delivered}</b>delivered</span><span class="stat"><b>${n.retries}</b>retried</span><span class="stat"><b>${n.failed}</b>failed</span><span class="stat"><b>${n.fallback}</b>fallback</span></p>${table(
          ['Channel', 'Delivered', 'Retried', 'Failed', 'Fallback'],
          n.channels.map((c) => [td(code(c.channel)), td(String(c.delivered), 'num'), td(String(c.retries), 'num'), td(String(c.failed), 'num'), td(String(c.fallback), 'num')]),
          'counts',
        )}${n.failures.length ? `<ul>${n.failures.map((f) => `<li>${at(f.at)} ${code(f.channel)} ${esc(f.outcome)} after attempt ${f.attempt}${f.error ? `: ${esc(f.error)}` : ''}</li>`).join('')}</ul>` : ''}`
  }</section>`);

  sections.push(`<section class="card" id="plan"><h2>Plan</h2><details><summary>${esc(m.planFile)} as recorded</summary><pre>${esc(m.planText)}</pre></details></section>`);

  const meta: Array<[string, string]> = [
    ['Plan', code(m.planFile)],
    ['Window', `${esc(dateTime(m.window.start))} → ${esc(clockTime(m.window.end))}Z`],
    ['Duration', esc(windowLine(m))],
    ['Polls', `${m.polls.count}${m.polls.failed ? ` (${m.polls.failed} with errors)` : ''}`],
  ];
  if (m.operator) meta.push(['Recorded by', esc(m.operator)]);
  if (m.speed !== undefined) meta.push(['Demo speed', `×${esc(m.speed)}`]);

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="flightdeck report">
<title>${esc(`${m.service} · ${m.environment} — ${VERDICT_TITLE[m.verdict.outcome]}`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="top ${verdictCls}">
<div class="eyebrow">Flightdeck deploy window report</div>
<h1>${esc(m.service)} <span class="env">· ${esc(m.environment)}</span></h1>
${m.description ? `<p class="desc">${esc(m.description)}</p>` : ''}
<div class="verdict" data-verdict="${esc(m.verdict.outcome)}"><span class="badge">${esc(VERDICT_TITLE[m.verdict.outcome])}</span><ul>${m.verdict.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></div>
<dl class="meta">${meta.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('')}</dl>
</header>
${m.warnings.map((w) => `<p class="warning">${esc(w)}</p>`).join('\n')}

${sections.slice(0, decisive.length ? 1 : 0).join('\n')}
<nav class="toc">${[...(m.decisive.length ? [['decided', 'Decided by']] : []), ['stages', 'Stages'], ['gates', 'Gates'], ['timelines', 'Timelines'], ['actions', 'Actions'], ['overrides', 'Overrides'], ['alerts', 'Alerts'], ['nodes', 'Nodes'], ['notifications', 'Notifications'], ['plan', 'Plan']]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join('')}</nav>
${sections.slice(decisive.length ? 1 : 0).join('\n')}
<footer>Generated by <code>flightdeck report</code> from a recording of ${esc(m.planFile)}. Times are UTC; “+” times count from the window’s start.</footer>
</main>
</body>
</html>
`;
}

/** The most severe state a gate reached, beside its worst value: a value can peak while pending and the gate fail later. */
function reachedBadge(g: GateReport): string {
  return `<span class="muted">reached</span> ${badge(g.reached)}`;
}

/** A gate that never left ok (or no data) in the window: a row in a compact table, not a chart. */
function quietGate(g: GateReport): boolean {
  const calm = new Set<GateState>(['ok', 'no data', 'off']);
  return g.timeline.every((c) => calm.has(c.to)) && g.series.every((p) => calm.has(p.state)) && g.failingMs === 0;
}

function decidedLine(m: ReportModel): string {
  switch (m.verdict.outcome) {
    case 'rolled back':
      return 'The gates whose breach rolled the stage back, with promote and rollback marked on each chart.';
    case 'failed':
    case 'interrupted':
      return 'The guarding gates that were not passing, with promote and rollback marked on each chart.';
    default:
      return 'The guarding gates of the stage the rollout ended in: what let it through.';
  }
}

/** Healthy, flat gates folded into one table; their state changes stay in the page under each row. */
function quietTable(gates: GateReport[], m: ReportModel, at: (t: number) => string): string {
  return `<article class="card healthy-gates" id="healthy-gates"><h3>${gates.length} gate${gates.length === 1 ? '' : 's'} that stayed ok</h3>${table(
    ['Gate', 'Stage', 'Kind', 'Final', 'Worst value', 'Evaluations', 'Thresholds', 'State changes'],
    gates.map((g) => [
      td(`<span id="${domId('gate', g.key)}" data-gate="${esc(g.id)}" data-stage="${esc(g.stageId ?? '')}">${code(g.id)}</span>`),
      td(g.stageId ? code(g.stageId) : '<span class="muted">plan-wide</span>'),
      td(esc(KIND_LABEL[g.kind])),
      td(`${badge(g.finalState)} <span class="mono">${esc(g.finalDisplay)}</span>`),
      td(g.worst ? `<span class="mono">${esc(g.worst.display)}</span>` : '–'),
      td(String(g.evaluations), 'num'),
      td(esc(thresholdsText(g))),
      td(g.timeline.length ? `<details><summary>${g.timeline.length}</summary><ol class="timeline">${changeItems(g, at)}</ol></details>` : '–'),
    ]),
  )}</article>`;
}

function changeItems(g: GateReport, at: (t: number) => string): string {
  return g.timeline
    .map(
      (c) =>
        `<li class="change" style="--dot:${STATE_COLOURS[c.to].strong}" data-gate="${esc(g.id)}" data-stage="${esc(g.stageId ?? '')}" data-at="${c.at}" data-from="${esc(c.from)}" data-to="${esc(c.to)}">${at(c.at)} ${badge(c.from)}<span class="arrow">→</span>${badge(c.to)} <span class="value">${esc(c.display)}</span> <span class="why">${esc(c.why)}</span></li>`,
    )
    .join('');
}

/** Timelines longer than this are folded (they stay in the page, under a summary). */
const LONG_TIMELINE = 30;

function stageLegend(m: ReportModel): string {
  const swatch = (style: string, label: string) => `<span><i style="${style}"></i>${esc(label)}</span>`;
  const out = m.stages.filter((s) => s.visits.length).map((s) => swatch(`background:${STAGE_COLOURS[s.index % STAGE_COLOURS.length]}`, s.id));
  if (m.stages.some((s) => s.rolledBack)) out.push(swatch('background:repeating-linear-gradient(45deg,#cf222e 0 2px,#ffd9d6 2px 5px)', 'rolled back'));
  if (m.actions.some((a) => a.action === 'promote')) out.push(swatch('background:#0969da;clip-path:polygon(50% 0,100% 100%,0 100%)', 'promote'));
  if (m.actions.some((a) => a.action === 'rollback')) out.push(swatch('background:#cf222e;clip-path:polygon(0 0,100% 0,50% 100%)', 'rollback'));
  if (m.overrides.length) out.push(swatch('background:#d4a72c;clip-path:polygon(50% 0,100% 50%,50% 100%,0 50%)', 'override'));
  return out.join('');
}

function gateArticle(g: GateReport, m: ReportModel, at: (t: number) => string): string {
  const facts = [
    `<span>final <b>${esc(g.finalDisplay)}</b></span>`,
    `<span>worst <b>${esc(g.worst?.display ?? '–')}</b>, reached <b>${esc(g.reached)}</b></span>`,
    `<span>failing for <b>${esc(span(g.failingMs))}</b></span>`,
    `<span><b>${g.evaluations}</b> evaluations</span>`,
    `<span>on fail <b>${esc(g.onFail)}</b>${g.mode !== 'enforce' ? ` (mode ${esc(g.mode)})` : ''}</span>`,
  ];
  const items = changeItems(g, at);
  return `<article class="card gate" id="${domId('gate', g.key)}" data-gate="${esc(g.id)}" data-stage="${esc(g.stageId ?? '')}">
<div class="gate-head"><h3>${code(g.id)} ${g.title !== g.id ? esc(g.title) : ''}</h3><span>${g.stageId ? code(g.stageId) : '<span class="muted">plan-wide</span>'} ${badge(g.finalState)}</span></div>
<p class="gate-sub">${esc(KIND_LABEL[g.kind])}: ${code(g.subject)} · ${esc(thresholdsText(g))}</p>
<div class="facts">${facts.join('')}</div>
${gateChart(g, m)}
${
    g.timeline.length === 0
      ? '<p class="muted">Never evaluated.</p>'
      : g.timeline.length > LONG_TIMELINE
        ? `<details class="long-timeline"><summary>All ${g.timeline.length} state changes</summary><ol class="timeline">${items}</ol></details>`
        : `<ol class="timeline">${items}</ol>`
  }
</article>`;
}

function actionsSection(m: ReportModel, at: (t: number) => string): string {
  if (m.actions.length === 0 && m.refusals.length === 0) return '<section class="card" id="actions"><h2>Actions</h2><p class="muted">No promote or rollback ran.</p></section>';
  const result = (a: ActionReport) => `<span class="badge r-${a.result.replace(/\s+/g, '-')}">${esc(a.result)}</span>`;
  const summary = table(
    ['Started', 'Action', 'Operator', 'Reason', 'Override', 'Result', 'Duration'],
    m.actions.map((a) => [td(at(a.startedAt), 'time'), td(`<b>${esc(actionTitle(a))}</b>`), td(esc(a.operator)), td(esc(a.reason ?? '–')), td(a.override ? '<span class="badge s-warn">override</span>' : '–'), td(result(a)), td(esc(span(a.durationMs)), 'num')]),
  );
  const cards = m.actions
    .map((a) => {
      const override = a.override
        ? `<div class="override"><dl><dt>manual_override</dt><dd>${esc(a.override.manual_override)}</dd><dt>override_acknowledged</dt><dd>${esc(a.override.override_acknowledged)}</dd><dt>override_reason</dt><dd>${esc(a.override.override_reason)}</dd></dl></div>`
        : '';
      const steps = a.steps.length
        ? table(
            ['Step', 'Status', 'Exit code', 'Duration', 'Output'],
            a.steps.map((s) => [
              td(code(s.name)),
              td(`<span class="badge r-${s.status === 'ok' ? 'ok' : s.status === 'skipped' ? 'dry-run-ok' : 'failed'}">${esc(s.status)}</span>`),
              td(esc(exitCodeText(s.exitCode, s.status)), 'num'),
              td(esc(span(s.durationMs)), 'num'),
              td(s.tail.length ? `<details${s.status !== 'ok' && s.status !== 'skipped' ? ' open' : ''}><summary>${s.tail.length} line${s.tail.length === 1 ? '' : 's'}</summary><pre>${esc(s.tail.join('\n'))}</pre></details>` : '<span class="muted">–</span>'),
            ]),
            'steps',
          )
        : '<p class="muted">No steps recorded (the action did not finish in this recording).</p>';
      return `<div class="action" data-action="${esc(a.action)}" data-stage="${esc(a.stageId)}" data-result="${esc(a.result)}"><h3>${esc(actionTitle(a))} ${result(a)}</h3><p class="muted">${at(a.startedAt)} by ${esc(a.operator)}${a.summary ? ` · ${esc(a.summary)}` : ''}</p>${override}${steps}</div>`;
    })
    .join('');
  const refused = m.refusals.length
    ? `<h3>Refused</h3><ul>${m.refusals.map((r) => `<li>${at(r.at)} ${esc(r.action)} of ${code(r.stageId)} refused: ${esc(r.why)}</li>`).join('')}</ul>`
    : '';
  return `<section class="card" id="actions"><h2>Actions</h2>${summary}${cards}${refused}</section>`;
}
