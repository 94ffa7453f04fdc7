/**
 * `npm run bench`: what operators feel, each figure beside its target.
 *
 *   npm run bench [-- --only poll,bytes,render,startup,detect,idle,memory] [-- --quick]
 *
 * Prints a table (figure, value, target, OK/MISS) and writes
 * bench/results.json with every figure, the raw measurements, the machine
 * and the date. Not a test: a MISS does not fail the run (exit 0); a section
 * that could not run is reported (ERR) and the run exits 1.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { startChildFleet, startPromEnv, type ChildFleet, type PromEnv } from './env.js';
import { buildResults, formatTable, type Figure } from './figures.js';
import { parseArgs, USAGE } from './args.js';
import { cleanupAll, installCleanupHandlers, ROOT } from './procs.js';
import { SECTIONS, settings, type Env, type Settings } from './sections.js';

const NEEDS_PROM = new Set(['poll', 'startup', 'detect', 'idle', 'memory']);

/** The largest fleet the chosen sections need, started once and shared. */
function fleetSize(only: string[], s: Settings): number {
  const need = [0];
  if (only.includes('poll')) need.push(...s.pollSizes);
  if (only.includes('memory')) need.push(s.memoryNodes);
  if (only.includes('idle') || only.includes('startup')) need.push(s.idleNodes);
  return Math.max(...need);
}

function makeEnv(size: number, log: (t: string) => void): Env & { close(): Promise<void> } {
  let prom: Promise<PromEnv> | undefined;
  let fleet: Promise<ChildFleet> | undefined;
  return {
    prom() {
      prom ??= (log('starting Prometheus (scraping a 10-node fleet every 1 s)…'), startPromEnv(10));
      return prom;
    },
    async fleet(n) {
      if (n > size) throw new Error(`a fleet of ${n} nodes was asked for, the run planned ${size}`);
      fleet ??= (log(`starting a simulated fleet of ${size.toLocaleString('en-US')} nodes in a child process…`), startChildFleet(size, 'fleet'));
      return fleet;
    },
    async close() {
      const [p, f] = await Promise.allSettled([prom, fleet]);
      if (p.status === 'fulfilled' && p.value) await p.value.close();
      if (f.status === 'fulfilled' && f.value) await f.value.close();
    },
  };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), join(ROOT, 'bench', 'results.json'));
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  installCleanupHandlers();
  const s = settings(args.quick);
  const log = (t: string) => process.stderr.write(`bench: ${t}\n`);
  const env = makeEnv(fleetSize(args.only, s), log);
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { settings: s };
  const t0 = performance.now();
  details['loadAverage1mAtStart'] = Math.round(os.loadavg()[0]! * 100) / 100;
  let errors = 0;
  try {
    if (args.only.some((x) => NEEDS_PROM.has(x))) await env.prom();
    for (const name of args.only) {
      const started = performance.now();
      log(`${name}…`);
      try {
        const r = await SECTIONS[name]!(env, s);
        figures.push(...r.figures);
        details[name] = { ...(r.details as object), seconds: Math.round((performance.now() - started) / 100) / 10 };
        log(`${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } catch (err) {
        errors++;
        const msg = err instanceof Error ? err.message : String(err);
        figures.push({ key: `${name}.error`, label: `${name}: could not measure`, value: null, unit: '', note: msg.split('\n').slice(0, 6).join(' | ') });
        details[name] = { error: msg };
        log(`${name} FAILED: ${msg}`);
      }
    }
  } catch (err) {
    errors++;
    const msg = err instanceof Error ? err.message : String(err);
    figures.push({ key: 'setup.error', label: 'setup: could not start the environment', value: null, unit: '', note: msg.split('\n')[0] });
    details['setup'] = { error: msg };
  } finally {
    await env.close().catch(() => undefined);
    await cleanupAll();
  }
  const results = buildResults(figures, details, { quick: args.quick, only: args.only, durationMs: performance.now() - t0 });
  await writeFile(args.out, `${JSON.stringify(results, null, 2)}\n`);
  const m = results.machine;
  process.stdout.write(
    [
      '',
      `Flightdeck bench — ${results.date} — ${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryMB / 1024)} GiB, Node ${m.node}, load ${String(details['loadAverage1mAtStart'])} -> ${m.loadAverage1m}${args.quick ? ' — QUICK' : ''}`,
      '',
      formatTable(figures),
      '',
      `${results.summary.ok} OK, ${results.summary.miss} MISS, ${results.summary.err} ERR, ${results.summary.reference} for reference — ${(results.durationMs / 1000).toFixed(0)} s — ${args.out}`,
      '',
    ].join('\n'),
  );
  return errors ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    await cleanupAll();
    process.exit(2);
  },
);
