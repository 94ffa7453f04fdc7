/** `flightdeck report`: summarise a recorded deploy window as Markdown or one self-contained HTML page. */
export { summarise, verdictOf } from './summary.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
export { runReportCommand, parseReportFormat, type ReportFormat, type ReportIo } from './cli.js';
export type * from './model.js';
