/** HTML escaping for the report: every string that reaches the page goes through `esc`. */
import type { GateState } from '../engine/types.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value, safe in either place. */
export function esc(value: string | number | boolean | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A CSS class for a gate state ("no data" -> "s-no-data"). */
export function stateClass(state: GateState): string {
  return `s-${state.replace(/\s+/g, '-')}`;
}

/** An element id from any string: letters, digits, "-" and "_" only, with a prefix. */
export function domId(prefix: string, value: string): string {
  return `${prefix}-${value.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}
