/** The HTML report's stylesheet: light, readable, responsive tables, print-friendly. No external fonts. */
import { STATE_COLOURS } from './html-chart.js';
import { stateClass } from './html-escape.js';
import type { GateState } from '../engine/types.js';

const stateRules = (Object.entries(STATE_COLOURS) as Array<[GateState, { strong: string; band: string }]>)
  .map(([s, c]) => `.${stateClass(s)}{color:${c.strong};background:${c.band};border-color:${c.strong}33}`)
  .join('\n');

export const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--accent:#0969da;--card:#fff;
--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f3f5f8;color:var(--fg);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 24px 48px}
h1,h2,h3{line-height:1.25;margin:0}
h1{font-size:30px;font-weight:650;letter-spacing:-.01em}
h2{font-size:20px;font-weight:620;margin:0 0 14px;padding-bottom:8px;border-bottom:1px solid var(--line)}
h3{font-size:16px;font-weight:620}
code,pre,.mono{font-family:var(--mono);font-size:.88em}
code{background:var(--soft);border:1px solid #e4e8ec;border-radius:5px;padding:.05em .35em;overflow-wrap:anywhere}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.muted{color:var(--muted)}
.top{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px 22px;margin-bottom:14px;border-top:6px solid var(--verdict)}
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:12px;color:var(--muted);font-weight:600}
.env{font-weight:500;color:var(--muted)}
.desc{margin:4px 0 0;color:var(--muted)}
.verdict{display:flex;gap:18px;align-items:flex-start;margin:12px 0 10px;padding:12px 16px;border-radius:10px;background:var(--verdict-bg)}
.verdict .badge{font-size:15px;padding:6px 14px;white-space:nowrap}
.verdict ul{margin:2px 0 0;padding-left:18px}
.verdict li{margin:2px 0}
.v-passed{--verdict:#1a7f37;--verdict-bg:#dcf5e3}
.v-rolled-back{--verdict:#bc4c00;--verdict-bg:#fff1e5}
.v-failed{--verdict:#cf222e;--verdict-bg:#ffebe9}
.v-complete{--verdict:#1a7f37;--verdict-bg:#dcf5e3}
.v-interrupted{--verdict:#6e7781;--verdict-bg:#eef1f4}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12.5px;font-weight:600;border:1px solid transparent;white-space:nowrap;line-height:1.6}
.verdict .badge{background:var(--verdict);color:#fff}
dl.meta{display:flex;flex-wrap:wrap;gap:2px 20px;margin:0;font-size:13px}
dl.meta div{min-width:0;display:flex;gap:6px;align-items:baseline}
dl.meta dt{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:600}
dl.meta dd{margin:0;overflow-wrap:anywhere}
nav.toc{display:flex;flex-wrap:wrap;gap:6px 16px;margin:0 0 18px;padding:10px 16px;background:var(--card);border:1px solid var(--line);border-radius:10px;font-size:14px}
section.card,article.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin:0 0 18px}
.table-wrap{overflow-x:auto;margin:0 0 12px;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #e6eaef;vertical-align:top}
th{background:var(--soft);font-weight:600;font-size:12.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);white-space:nowrap}
tr:last-child td{border-bottom:0}
td code{white-space:nowrap;overflow-wrap:normal}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.time,span.time{white-space:nowrap;font-variant-numeric:tabular-nums}
.time small{color:var(--muted);margin-left:4px}
.chart{display:block;width:100%;height:auto;margin:6px 0 4px}
.chart .plot{fill:#fbfcfd;stroke:#e1e6eb}
.chart .grid{stroke:#e6eaef;stroke-width:1}
.chart .tick{font:11px var(--mono);fill:#6e7781}
.chart .series{fill:none;stroke:#24292f;stroke-width:1.8;stroke-linejoin:round;stroke-linecap:round}
.chart .threshold{stroke-width:1.4;stroke-dasharray:6 4}
.chart .threshold.fail{stroke:#cf222e}.chart .threshold.warn{stroke:#b08800}
.chart .threshold-label{font:600 11px var(--mono)}
.chart .threshold-label.fail{fill:#cf222e}.chart .threshold-label.warn{fill:#9a6700}
.chart .empty{font:13px system-ui,sans-serif;fill:#6e7781}
.stage-bar .stage-label{font:600 12.5px system-ui,sans-serif;fill:#fff}
.stage-bar .rollback-mark{stroke:#cf222e;stroke-width:2.5}
.mark-promote{fill:#0969da}.mark-rollback{fill:#cf222e}.mark-override{fill:#d4a72c;stroke:#9a6700}
.action-mark line{stroke-width:1.5;stroke-dasharray:4 3}.action-mark.mark-promote line{stroke:#0969da}.action-mark.mark-rollback line{stroke:#cf222e}.action-mark.mark-override line{stroke:#9a6700}
.action-mark .mark-label{font:600 10px var(--mono);stroke:none}
.chart .tick .offset{font-size:10px;fill:#8c959f}
#decided{border-left:4px solid var(--verdict,#6e7781);padding-top:12px}
#decided>h2{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 12px;margin-bottom:8px}#decided>h2 small{font-size:13px;font-weight:400;color:var(--muted)}
#decided article.card{margin-bottom:8px;padding:12px 16px}
#decided svg.chart{max-height:240px}
.healthy-gates td details summary{cursor:pointer}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:13px;color:var(--muted);margin:4px 0 12px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:5px;vertical-align:-1px}
.gate-head{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:baseline;justify-content:space-between}
.gate-head h3 code{font-size:15px}
.gate-sub{margin:6px 0 0;color:var(--muted);font-size:14px}
.gate-sub code{color:var(--fg)}
.facts{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13.5px;color:var(--muted);margin:8px 0 0}
.facts b{color:var(--fg);font-weight:600}
ol.timeline{list-style:none;margin:8px 0 0;padding:0;border-left:2px solid var(--line)}
ol.timeline li{position:relative;padding:5px 0 5px 16px;font-size:14px}
ol.timeline li::before{content:"";position:absolute;left:-6px;top:12px;width:10px;height:10px;border-radius:50%;background:var(--dot,#8c959f);box-shadow:0 0 0 2px #fff}
ol.timeline .why{color:var(--muted);overflow-wrap:anywhere}
ol.timeline .value{font-family:var(--mono);font-size:13px;font-weight:600}
.arrow{color:var(--muted);margin:0 3px}
.steps td:first-child{white-space:nowrap}
table.steps td.num,table.counts td.num{width:8em}
table.counts th:not(:first-child),table.steps th:nth-child(3),table.steps th:nth-child(4),table.gates th:nth-child(7),table.gates th:nth-child(8),table.stages th:nth-child(8),table.stages th:nth-child(9){text-align:right}
section.card h3{margin:18px 0 8px}
.action{margin-top:20px}
.action h3{display:flex;gap:10px;align-items:center}
.action > p{margin:0 0 8px}
details{margin:0}
summary{cursor:pointer;color:var(--accent);font-size:14px}
pre{background:#f6f8fa;border:1px solid #e4e8ec;border-radius:8px;padding:10px 12px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0;line-height:1.45}
.override{border-left:4px solid #d4a72c;background:#fff8e1;border-radius:6px;padding:8px 12px;margin:8px 0}
.override p{margin:0 0 6px}
.override dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
.override dt{font-family:var(--mono);font-size:13px;color:var(--muted)}
.override dd{margin:0;overflow-wrap:anywhere}
.warning{border:1px solid #d4a72c;background:#fff8c5;border-radius:8px;padding:8px 12px;margin:0 0 12px}
.r-ok{color:#1a7f37;background:#dcf5e3}.r-failed,.r-unfinished{color:#cf222e;background:#ffebe9}
.r-dry-run-ok,.r-dry-run-failed{color:#59636e;background:#eef1f4}
.r-partial,.r-outcome-unknown{color:#9a6700;background:#fff3c4}.r-aborted{color:#bc4c00;background:#fff1e5}
.stat{display:inline-block;margin-right:18px}.stat b{font-size:20px;font-variant-numeric:tabular-nums;margin-right:4px}
footer{color:var(--muted);font-size:13px;text-align:center;margin-top:28px}
${stateRules}
@media (max-width:640px){main{padding:14px 10px 32px}h1{font-size:24px}.verdict{flex-direction:column;gap:8px}section.card,article.card,.top{padding:14px}}
@media print{
  body{background:#fff;font-size:11.5pt}
  main{max-width:none;padding:0}
  nav.toc{display:none}
  .top,section.card,article.card{border:0;border-radius:0;padding:0;margin:0 0 14pt}
  article.card{break-inside:avoid}
  h2{break-after:avoid}
  tr{break-inside:avoid}
  .table-wrap{overflow:visible;border:0}
  a{color:inherit}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;
