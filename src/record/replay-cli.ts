/**
 * `flightdeck replay FILE`: the same cockpit, from a recording, with no
 * network. With --json, the replayed events as NDJSON (for scripts and tests).
 */
import { loadCockpit } from '../cli/load-cockpit.js';
import { readRecording } from './read.js';
import { ReplayDriver } from './replay.js';

export async function runReplayJson(file: string, out: (line: string) => void): Promise<number> {
  const driver = new ReplayDriver(await readRecording(file));
  driver.engine.on((e) => out(JSON.stringify(e)));
  driver.runToEnd();
  return 0;
}

export interface ReplayFlags {
  speed?: string;
  json?: boolean;
  color?: boolean;
  ascii?: boolean;
  paused?: boolean;
}

export async function runReplay(file: string, f: ReplayFlags, out: (line: string) => void): Promise<number> {
  if (f.json || !process.stdout.isTTY) return runReplayJson(file, out);
  const recording = await readRecording(file);
  const { Player } = await import('./player.js');
  const speed = Number(f.speed ?? recording.header.speed ?? 10);
  if (!(speed > 0)) {
    out('flightdeck replay: --speed takes a positive number');
    return 2;
  }
  const player = new Player(recording, { speed });
  if (f.paused) player.paused = true;
  const { renderCockpit } = await loadCockpit();
  const handle = renderCockpit({
    getState: () => player.engine.getState(),
    subscribe: (cb) => player.subscribe(cb),
    extras: () => ({ lines: [], banner: player.status() }),
    now: () => player.at,
    readonly: true,
    noColor: f.color === false,
    ascii: f.ascii ?? false,
    onCommand: () => undefined,
    onQuit: () => handle.unmount(),
    extraKeys: [
      { keys: ['space'], label: 'play/pause', run: () => player.togglePause() },
      { keys: ['.'], label: 'step one poll', run: () => player.step() },
      // [ and ] are the cockpit's own (step through past polls): seeking the recording is - and +.
      { keys: ['-'], label: 'back 1 min', run: () => player.seekBy(-60_000) },
      { keys: ['+'], label: 'forward 1 min', run: () => player.seekBy(60_000) },
      { keys: ['<'], label: 'slower', run: () => player.setSpeed(player.speed / 2) },
      { keys: ['>'], label: 'faster', run: () => player.setSpeed(player.speed * 2) },
      { keys: ['{'], label: 'to the start', run: () => player.seekTo(player.driver.startAt) },
      { keys: ['}'], label: 'to the end', run: () => player.seekTo(player.driver.endAt) },
    ],
  });
  player.start();
  await handle.waitUntilExit();
  player.stop();
  return 0;
}
