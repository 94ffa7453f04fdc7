/**
 * A release review reads the verdict, then the chart of the gate that decided
 * it, before anything else (the stages, the other gates): the report's DOM
 * order, checked the same way for a fixture model and a demo recording.
 */
import { expect } from 'vitest';

/** Checks the order and returns the deciding gate's markup up to the end of its chart. */
export function expectVerdictThenDecidingGate(html: string, gateAnchor: string, verdict?: string): string {
  const v = html.indexOf(verdict === undefined ? 'data-verdict=' : `data-verdict="${verdict}"`);
  const decided = html.indexOf('id="decided"');
  const deciding = html.indexOf(`id="${gateAnchor}"`);
  expect(v).toBeGreaterThan(0);
  expect(decided).toBeGreaterThan(v);
  expect(deciding).toBeGreaterThan(decided);
  expect(deciding).toBeLessThan(html.indexOf('id="stages"'));
  return html.slice(deciding, html.indexOf('</svg>', deciding));
}
