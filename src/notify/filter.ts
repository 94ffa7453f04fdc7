/** Which notifications a channel takes: an event list (with `prefix.*` wildcards) and a minimum severity. */
import { SEVERITY_RANK } from './format.js';
import type { Notification, Severity } from './types.js';

export function makeFilter(events: readonly string[] | undefined, minSeverity: Severity | undefined): (n: Notification) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const e of events ?? []) {
    if (e === '*') prefixes.push('');
    else if (e.endsWith('*')) prefixes.push(e.slice(0, -1));
    else exact.add(e);
  }
  const anyEvent = events === undefined;
  const floor = minSeverity ? SEVERITY_RANK[minSeverity] : 0;
  return (n) => {
    if ((SEVERITY_RANK[n.severity] ?? 0) < floor) return false;
    return anyEvent || exact.has(n.event) || prefixes.some((p) => n.event.startsWith(p));
  };
}
