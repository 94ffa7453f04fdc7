/**
 * Storm control: within a window, the same (event, stage, subject) goes out
 * once; repeats are counted and one "(repeated N times)" summary goes out
 * when the window closes. Overrides and test messages are never grouped:
 * each is an operator's act that must be seen.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { SEVERITY_RANK } from './format.js';
import type { Notification } from './types.js';

export const DEFAULT_GROUP_WINDOW_MS = 60_000;
const NEVER_GROUPED = new Set(['override', 'test']);

/** The subject is the gates involved, else `details.subject`, else the title. */
export function groupKey(n: Notification): string {
  const gates = (n.gates ?? []).map((g) => g.id).sort();
  const subject = gates.length > 0 ? gates.join(',') : typeof n.details?.subject === 'string' ? n.details.subject : n.title;
  return [n.event, n.stage ?? '', subject].join('\u0000');
}

interface Group {
  first: Notification;
  last: Notification;
  repeats: number;
  worst: Notification['severity'];
  timer: TimerHandle;
}

export class RepeatGrouper {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly emit: (n: Notification) => void,
    private readonly newId: () => string,
  ) {}

  offer(n: Notification): void {
    if (this.windowMs <= 0 || NEVER_GROUPED.has(n.event)) return this.emit(n);
    const key = groupKey(n);
    const g = this.groups.get(key);
    if (g) {
      g.repeats++;
      g.last = n;
      if (SEVERITY_RANK[n.severity] > SEVERITY_RANK[g.worst]) g.worst = n.severity;
      return;
    }
    const timer = this.clock.setTimeout(() => this.close(key), this.windowMs);
    this.groups.set(key, { first: n, last: n, repeats: 0, worst: n.severity, timer });
    this.emit(n);
  }

  /** Windows still open. */
  get open(): number {
    return this.groups.size;
  }

  /** Closes every window now, sending the summaries that are due. */
  closeAll(): void {
    for (const [key, g] of [...this.groups]) {
      this.clock.clearTimeout(g.timer);
      this.close(key);
    }
  }

  private close(key: string): void {
    const g = this.groups.get(key);
    if (!g) return;
    this.groups.delete(key);
    if (g.repeats > 0) this.emit(this.summary(g));
  }

  private summary(g: Group): Notification {
    const times = g.repeats === 1 ? 'time' : 'times';
    const span = `${new Date(g.first.at).toISOString()} and ${new Date(g.last.at).toISOString()}`;
    return {
      ...g.last,
      id: this.newId(),
      at: this.clock.now(),
      severity: g.worst,
      title: `${g.last.title} (repeated ${g.repeats} ${times})`,
      text: `${g.last.text}${g.last.text ? '\n\n' : ''}Repeated ${g.repeats} more ${times} between ${span}.`,
      details: { ...g.last.details, repeated: g.repeats, firstId: g.first.id, lastId: g.last.id, firstAt: g.first.at, lastAt: g.last.at },
    };
  }
}
