/** The activity log's lines: engine events (the session's notes among them) and lines of the cockpit's own, one line each, oldest first. */
import type { EngineEvent } from '../src/engine/types.js';
import type { ExtraLine } from '../src/ui-contract.js';
import { promotionBlockersText } from '../src/present/values.js';
import { formatAge, formatClock, formatValue, sanitize } from './format.js';
import type { Glyphs, Token } from './theme.js';
import { stateToken } from './theme.js';

export interface ActivityEntry {
  at: number;
  text: string;
  tok: Token;
}

/** One event as a log line; null for routine events not worth a line (a scheduled poll that went fine). */
export function formatEvent(e: EngineEvent, g: Glyphs): ActivityEntry | null {
  const at = e.at;
  const arrow = g.arrow;
  switch (e.type) {
    case 'poll.started':
      return e.reason === 'schedule' ? null : { at, text: e.reason === 'manual' ? 'poll requested' : 'first poll', tok: 'muted' };
    case 'poll.done':
      return e.ok ? null : { at, text: `poll finished with errors after ${e.durationMs}ms (${e.gates} gates, ${e.nodes} nodes)`, tok: 'error' };
    case 'gate.changed': {
      const rollback = e.to === 'failing' && e.onFail === 'rollback' ? ' ROLLBACK' : '';
      const why = e.why ? ` (${sanitize(e.why)})` : '';
      return { at, text: `gate ${e.gateId} ${e.from} ${arrow} ${e.to}: ${sanitize(e.display || formatValue(e.value))}${why}${rollback}`, tok: stateToken(e.to) };
    }
    case 'node.down':
      return { at, text: `node ${e.node} down: ${sanitize(e.reason)}`, tok: 'failing' };
    case 'node.up':
      return { at, text: `node ${e.node} up`, tok: 'ok' };
    case 'alert.firing':
      return { at, text: `alert ${e.name} firing (${e.severity}, ${e.source}): ${sanitize(e.summary)}`, tok: e.severity === 'critical' ? 'failing' : 'warn' };
    case 'alert.resolved':
      return { at, text: `alert ${e.name} resolved (${e.source})`, tok: 'ok' };
    case 'prometheus.down':
      return { at, text: `Prometheus down: ${sanitize(e.error)}`, tok: 'error' };
    case 'prometheus.up':
      return { at, text: 'Prometheus up', tok: 'ok' };
    case 'stage.promotable':
      return e.promotable
        ? { at, text: `stage ${e.stageId} promotable`, tok: 'ok' }
        : { at, text: `stage ${e.stageId} blocked by ${promotionBlockersText(e.blockers) || 'nothing known yet'}`, tok: 'warn' };
    case 'stage.entered':
      return { at, text: `entered stage ${e.index + 1} ${e.stageId} (${e.by})`, tok: 'accent' };
    case 'stage.rolled-back':
      return { at, text: `stage ${e.stageId} rolled back`, tok: 'danger' };
    case 'rollback.requested':
      // Asked for, not started: a guard may withhold or refuse it (its own line says), or leave it to the leader.
      return { at, text: `ROLLBACK ${e.auto ? 'due' : 'requested'} for ${e.stageId}: ${e.gateId} ${sanitize(e.reason)}`, tok: 'danger' };
    case 'signoff':
      return { at, text: `${e.gateId} signed off by ${sanitize(e.operator)}: ${sanitize(e.note)}`, tok: 'ok' };
    case 'window.completed':
      return { at, text: `window completed: ${e.verdict.toUpperCase()}`, tok: e.verdict === 'pass' ? 'ok' : 'failing' };
    case 'window.resumed':
      return {
        at,
        text: e.completed
          ? `resumed ${e.stageId}: window completed: ${e.completed.verdict} at ${formatClock(e.completed.at)}`
          : `resumed ${e.stageId} at minute ${Math.floor(e.elapsedMs / 60_000)} of ${Math.round((e.windowEnd - e.windowStart) / 60_000)}: phase ${e.phase}/${e.phases} every ${formatAge(e.everyMs)}`,
        tok: 'accent',
      };
    case 'plan.changed':
      // The session's note says it, with the changes and why (edited while running): one line, not two.
      return null;
    case 'state.unusable':
      return { at, text: `ROLLOUT STATE UNUSABLE ${sanitize(e.location)}: ${sanitize(e.problem)}; actions refused; fix: ${sanitize(e.fix)}`, tok: 'error' };
    case 'polling.changed':
      return { at, text: `polling ${sanitize(e.label)}`, tok: e.hot ? 'pending' : 'muted' };
    case 'action.started': {
      const who = `by ${sanitize(e.operator)}${e.auto ? ' (automatic)' : ''}${e.dryRun ? ' DRY RUN' : ''}`;
      const why = e.reason ? `: ${sanitize(e.reason)}` : '';
      return { at, text: `${e.action.toUpperCase()} of ${e.stageId} started ${who}${e.override ? ' OVERRIDE' : ''}${why}`, tok: e.action === 'rollback' ? 'danger' : 'accent' };
    }
    case 'action.output':
      return { at, text: `${e.action} ${sanitize(e.step)}: ${sanitize(e.text)}`, tok: e.stream === 'stderr' ? 'warn' : 'muted' };
    case 'action.finished':
      return { at, text: `${e.action} of ${e.stageId} ${{ ok: 'finished', partial: 'PARTIAL', failed: 'FAILED', aborted: 'ABORTED' }[e.outcome ?? (e.ok ? 'ok' : 'failed')]} after ${formatAge(e.durationMs)}: ${sanitize(e.summary)}`, tok: e.ok ? 'ok' : e.outcome === 'partial' ? 'warn' : 'failing' };
    case 'action.refused':
      return { at, text: `${e.action} of ${e.stageId} refused: ${sanitize(e.why)}`, tok: 'warn' };
    case 'override':
      return { at, text: `OVERRIDE of ${e.stageId} by ${sanitize(e.operator)} past ${e.blockers.join(', ') || 'nothing'}: ${sanitize(e.fields.override_reason)}`, tok: 'danger' };
    case 'session.note': {
      const prefix = e.topic !== 'info' ? `${e.topic}: ` : '';
      return { at, text: prefix + sanitize(e.text), tok: noteToken(e.level, e.topic) };
    }
    case 'notify.delivery': {
      const tok: Token = e.outcome === 'delivered' ? 'muted' : e.outcome === 'retry' ? 'warn' : 'error';
      const err = e.error ? `: ${sanitize(e.error)}` : '';
      return { at, text: `notify ${sanitize(e.channel)} ${e.outcome}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}${err}`, tok };
    }
    default:
      // An event type newer than this file: still worth a line.
      return { at, text: sanitize(String((e as { type: unknown }).type)), tok: 'muted' };
  }
}

/** A session's note and a line of the cockpit's own look alike: errors red, warnings yellow, action lines plain, the rest muted. */
function noteToken(level: ExtraLine['level'], topic: ExtraLine['source']): Token {
  return level === 'error' ? 'error' : level === 'warn' ? 'warn' : topic === 'action' ? 'text' : 'muted';
}

export function formatExtra(x: ExtraLine): ActivityEntry {
  const prefix = x.source && x.source !== 'info' ? `${x.source}: ` : '';
  return { at: x.at, text: prefix + sanitize(x.text), tok: noteToken(x.level, x.source) };
}

/** A manual poll this soon after an action ended or a stage was entered is the session's own, not the operator's. */
const FOLLOW_UP_MS = 10_000;

/**
 * Events and extra lines merged by time (stable), oldest first. The log says
 * only what is true in context: no "stage promotable" for a stage that was
 * rolled back (until it is entered again), and a poll the session asked for
 * after an action is not "requested by operator".
 */
export function activityEntries(events: readonly EngineEvent[], extras: readonly ExtraLine[] | undefined, g: Glyphs): ActivityEntry[] {
  const tagged: Array<{ e: ActivityEntry; i: number }> = [];
  let i = 0;
  const rolledBack = new Set<string>();
  let lastAction: { at: number; what: string } | undefined;
  for (const ev of events) {
    if (ev.type === 'stage.rolled-back') rolledBack.add(ev.stageId);
    if (ev.type === 'stage.entered') {
      rolledBack.delete(ev.stageId);
      lastAction = { at: ev.at, what: ev.by === 'start' ? 'start' : `${ev.by} to ${ev.stageId}` };
    }
    if (ev.type === 'action.finished') lastAction = { at: ev.at, what: `${ev.action} of ${ev.stageId}` };
    if (ev.type === 'stage.promotable' && rolledBack.has(ev.stageId)) continue;
    if (ev.type === 'poll.started' && ev.reason === 'manual' && lastAction && ev.at - lastAction.at <= FOLLOW_UP_MS) {
      tagged.push({ e: { at: ev.at, text: `poll after the ${lastAction.what}`, tok: 'muted' }, i: i++ });
      continue;
    }
    const e = formatEvent(ev, g);
    if (e) tagged.push({ e, i: i++ });
  }
  for (const x of extras ?? []) tagged.push({ e: formatExtra(x), i: i++ });
  tagged.sort((a, b) => a.e.at - b.e.at || a.i - b.i);
  return tagged.map((t) => t.e);
}
