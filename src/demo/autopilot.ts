/**
 * The presenter's autopilot: it does what an operator would, so a demo tells
 * its story hands-free — signs off when the bake is done, promotes when the
 * stage is promotable, and (in the override story) promotes past a blocking
 * gate with a guarded override. The operator can still press any key.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { Session } from '../session/session.js';

export interface Autopilot {
  stop(): void;
}

export function startAutopilot(session: Session, clock: Clock, opts: { everyMs?: number; overrideAfterMs?: number; say(text: string): void }): Autopilot {
  const every = opts.everyMs ?? 30_000;
  let timer: TimerHandle | null = null;
  let stopped = false;
  let blockedSince: number | undefined;
  let done = false;

  const tick = async () => {
    const engine = session.engine;
    const st = engine.getState();
    const stage = st.stages[st.stageIndex]!;
    if (session.actionRunning || done) return;
    if (stage.status === 'rolled back') {
      done = true;
      opts.say(`autopilot: ${stage.id} was rolled back; the story ends here`);
      return;
    }
    if ((stage.bakeRemainingMs ?? 0) > 0) return;
    for (const g of st.gates.filter((x) => x.kind === 'manual' && x.state === 'pending')) {
      session.signoff(g.id, 'signed off by the demo autopilot');
      opts.say(`autopilot: signed off ${g.id}`);
    }
    const fresh = engine.getState().stages[st.stageIndex]!;
    if (!fresh.hasPromote) {
      if (fresh.promotable) {
        done = true;
        opts.say(`autopilot: ${fresh.id} is baked and green; the rollout is complete`);
      }
      return;
    }
    if (fresh.promotable) {
      blockedSince = undefined;
      opts.say(`autopilot: ${fresh.id} is baked and green, promoting`);
      await session.promote({ reason: 'autopilot: stage baked and gates green' });
      return;
    }
    const onlyBlocks = fresh.blockers.length > 0 && fresh.blockers.every((b) => b.state !== 'error' && b.state !== 'no data');
    if (opts.overrideAfterMs !== undefined && onlyBlocks) {
      blockedSince ??= clock.now();
      if (clock.now() - blockedSince >= opts.overrideAfterMs) {
        opts.say(`autopilot: ${fresh.blockers.map((b) => b.gateId).join(', ')} still blocking; promoting with a guarded override`);
        await session.promote({ override: { reason: 'pool saturation is the known reporting bug INC-4711; capacity verified by hand', acknowledged: true } });
        blockedSince = undefined;
      }
    }
  };

  const loop = () => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      void tick().finally(loop);
    }, every);
  };
  loop();
  return {
    stop() {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
    },
  };
}
