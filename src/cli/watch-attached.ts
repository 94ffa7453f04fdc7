/**
 * `flightdeck watch PLAN` with a guard (the default): attaches to the plan's
 * guard, starting one in the background first when none runs. The cockpit
 * (or the --json stream) shows the guard's live state; actions go through
 * it. Quitting, or losing the terminal, detaches: the guard keeps running.
 */
import { AttachedSession } from '../guard/attach.js';
import { guardPaths } from '../guard/paths.js';
import { findGuard, recordAlive, type GuardRecord } from '../guard/record.js';
import type { LoadedPlan } from '../plan/load.js';
import { cockpitActions } from './cockpit-actions.js';
import { startGuardDetached } from './guard.js';
import { loadCockpit } from './load-cockpit.js';
import { releaseDeadTerminal, untilCockpitExits, watchTerminalLoss } from './terminal-loss.js';
import type { WatchFlags } from './watch.js';

export async function runAttached(loaded: LoadedPlan, f: WatchFlags, headless: boolean): Promise<number> {
  const say = (t: string) => process.stderr.write(`${t}\n`);
  let rec = await findGuard(loaded.file);
  let startedNote: string | null = null;
  if (!rec) {
    say(`flightdeck watch: no guard runs for ${loaded.file}: starting one in the background (log ${guardPaths(loaded.file).log})`);
    const started = await startGuardDetached(loaded.file, {
      dryRun: f.dryRun,
      autoRollback: f.readonly ? false : f.autoRollback,
      record: f.record,
      metricsPort: f.metricsPort,
      stage: f.stage,
    });
    if (typeof started === 'string') {
      say(`flightdeck watch: ${started}\n(--no-guard watches in this process instead)`);
      return 2;
    }
    rec = started;
    startedNote = started.startedElsewhere
      ? `attached to the guard (pid ${rec.pid}) another command started a moment ago; quitting leaves it running`
      : `started a guard for this plan in the background (pid ${rec.pid}); it keeps watching after you quit — flightdeck guard stop ${loaded.file} stops it`;
  }
  const attached = await AttachedSession.connect(rec.socket, loaded.plan, { readonly: f.readonly ?? false });
  attached.note(startedNote ?? `attached to the guard (pid ${rec.pid}); quitting leaves it running`);
  return headless ? streamEvents(attached) : drawCockpit(attached, f, rec, loaded.file);
}

async function streamEvents(attached: AttachedSession): Promise<number> {
  let lost = false;
  const off = attached.onEvent((e) => {
    if (!lost) process.stdout.write(`${JSON.stringify(e)}\n`);
  });
  const why = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    watchTerminalLoss(() => {
      lost = true;
      resolve('terminal lost');
    });
    void attached.ended.then(resolve);
  });
  off();
  await attached.detach();
  if (lost) releaseDeadTerminal();
  return why === 'the guard stopped' ? 1 : 0;
}

/** How long a cockpit that stopped its guard waits to see it gone (when no action holds it). */
const STOP_WAIT_MS = 30_000;

async function drawCockpit(attached: AttachedSession, f: WatchFlags, rec: GuardRecord, planFile: string): Promise<number> {
  const { renderCockpit } = await loadCockpit();
  const pid = rec.pid;
  let guardGone = null as string | null; // set from the stream's end (a closure: not narrowed)
  const actions = cockpitActions(attached, { dryRun: f.dryRun ?? false });
  // A read-only cockpit only looks: its quit detaches at once and offers no stop.
  if (!attached.readonly) {
    actions.guard = {
      pid,
      stop: async () => {
        const out = await attached.stopGuard();
        return out.ok ? { ok: true } : { ok: false, refused: out.refused ?? 'the guard refused' };
      },
    };
  }
  const handle = renderCockpit({
    getState: () => attached.engine.getState(),
    subscribe: (cb) => attached.subscribe(cb),
    extras: () => attached.extras(),
    readonly: attached.readonly,
    noColor: f.color === false,
    ascii: f.ascii ?? false,
    actions,
    onCommand: (c) => {
      if (c.type === 'refresh') attached.refresh();
    },
    onQuit: () => handle.unmount(),
  });
  void attached.ended.then((why) => {
    if (why === 'detached') return;
    guardGone = why;
    handle.unmount();
  });
  const { lost } = await untilCockpitExits(handle);
  const running = attached.actionRunning;
  await attached.detach();
  if (lost) {
    releaseDeadTerminal();
    return 0;
  }
  if (attached.stopAsked) return reportStop(rec, planFile, running);
  if (guardGone) {
    // Lost (killed, crashed) rather than stopped: say what that means for a running action and what to do.
    const lost = guardGone.startsWith('lost')
      ? ` (pid ${pid}). Nothing watches ${planFile} now; an action it was running goes on in its own process group, and nothing else can start until it ends. flightdeck watch ${planFile} starts a new guard, which adopts it.`
      : '';
    process.stderr.write(`flightdeck watch: ${guardGone}${lost}\n`);
    return 1;
  }
  process.stdout.write(`detached; the guard (pid ${pid}) keeps watching ${planFile} — flightdeck guard stop ${planFile} stops it\n`);
  return 0;
}

/** After "Stop the guard too": says what happens, and waits (bounded) to see the guard gone when nothing holds it. */
async function reportStop(rec: GuardRecord, planFile: string, running: { kind: string; operator: string } | null): Promise<number> {
  const out = (t: string) => process.stdout.write(`${t}\n`);
  if (running) {
    out(`the guard (pid ${rec.pid}) stops once the ${running.kind} by ${running.operator} has ended (it finishes and audits it first); after that nothing watches ${planFile} and nothing rolls back on its own`);
    return 0;
  }
  const end = Date.now() + STOP_WAIT_MS;
  while (recordAlive(rec) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  if (recordAlive(rec)) {
    out(`asked the guard (pid ${rec.pid}) to stop; it is still running: see ${rec.log}`);
    return 1;
  }
  out(`the guard (pid ${rec.pid}) stopped: nothing watches ${planFile} now and nothing rolls back on its own — flightdeck watch ${planFile} starts a guard again`);
  return 0;
}
