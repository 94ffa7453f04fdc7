/**
 * What Ink's incremental renderer writes, said in fewer bytes with the same
 * effect on the terminal. Measured against the changed cells' own bytes
 * (bench/cells-floor.ts), a one-value update cost 7–16x: Ink moves down past
 * every unchanged row with its own "next line" (ESC[E, once per row), and its
 * per-line diff re-states styles it opens and closes again at once
 * (ESC[33m ESC[39m ESC[33m). Two rewrites, each exact:
 * - k ≥ 2 "cursor next line" in a row become one ESC[kE;
 * - adjacent SGR sequences (nothing printed between them) become one that
 *   leaves every attribute as the last of them set it (a run with anything
 *   this does not model is left as it is).
 */

// eslint-disable-next-line no-control-regex
const NEXT_LINES = /(?:\u001b\[E){2,}/g;
// eslint-disable-next-line no-control-regex
const SGR_RUN = /(?:\u001b\[[0-9;]*m){2,}/g;
// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[([0-9;]*)m/g;

type Slot = 'bold' | 'dim' | 'italic' | 'underline' | 'blink' | 'inverse' | 'hidden' | 'strike' | 'fg' | 'bg';
const SLOTS: Slot[] = ['bold', 'dim', 'italic', 'underline', 'blink', 'inverse', 'hidden', 'strike', 'fg', 'bg'];
const ON: Record<number, Slot> = { 1: 'bold', 2: 'dim', 3: 'italic', 4: 'underline', 5: 'blink', 7: 'inverse', 8: 'hidden', 9: 'strike' };
const OFF: Record<number, Slot> = { 23: 'italic', 24: 'underline', 25: 'blink', 27: 'inverse', 28: 'hidden', 29: 'strike' };
const OFF_CODE: Record<Slot, string> = { bold: '22', dim: '22', italic: '23', underline: '24', blink: '25', inverse: '27', hidden: '28', strike: '29', fg: '39', bg: '49' };

/** One SGR sequence with the effect of `run` (adjacent SGR sequences), or `run` itself when it holds a code not modelled here. */
export function mergeSgr(run: string): string {
  // Each slot: undefined = untouched, '' = turned off, else the code that set it.
  const state = new Map<Slot, string>();
  let reset = false;
  for (const m of run.matchAll(SGR)) {
    const ps = m[1] === '' ? ['0'] : m[1]!.split(';');
    for (let k = 0; k < ps.length; k++) {
      const p = Number(ps[k]);
      if (ps[k] === '' || !Number.isInteger(p)) return run;
      if (p === 0) {
        reset = true;
        state.clear();
      } else if (ON[p]) state.set(ON[p], String(p));
      else if (OFF[p]) state.set(OFF[p], '');
      else if (p === 22) {
        state.set('bold', '');
        state.set('dim', '');
      } else if ((p >= 30 && p <= 37) || (p >= 90 && p <= 97)) state.set('fg', String(p));
      else if (p === 39) state.set('fg', '');
      else if ((p >= 40 && p <= 47) || (p >= 100 && p <= 107)) state.set('bg', String(p));
      else if (p === 49) state.set('bg', '');
      else if (p === 38 || p === 48) {
        const n = ps[k + 1] === '5' ? 2 : ps[k + 1] === '2' ? 4 : -1;
        if (n < 0 || k + n >= ps.length) return run;
        state.set(p === 38 ? 'fg' : 'bg', ps.slice(k, k + n + 1).join(';'));
        k += n;
      } else return run;
    }
  }
  const codes: string[] = reset ? ['0'] : [];
  // 22 turns bold and dim off together: first, then whichever of the two is on again after it.
  if (state.get('bold') === '' || state.get('dim') === '') codes.push('22');
  for (const slot of SLOTS) {
    const v = state.get(slot);
    if (v === undefined) continue;
    if (slot === 'bold' || slot === 'dim') {
      if (v !== '') codes.push(v);
    } else if (v === '') {
      // After a reset every attribute is already off.
      if (!reset) codes.push(OFF_CODE[slot]);
    } else codes.push(v);
  }
  if (codes.length === 0) return run;
  const merged = `\u001b[${codes.join(';')}m`;
  return merged.length < run.length ? merged : run;
}

/** `chunk` (what Ink writes) with the same effect in fewer bytes. */
export function compactWrite(chunk: string): string {
  if (!chunk.includes('\u001b')) return chunk;
  return chunk.replace(NEXT_LINES, (run) => `\u001b[${run.length / 3}E`).replace(SGR_RUN, mergeSgr);
}

/**
 * `stream` with its write() passing strings through compactWrite; everything
 * else (columns, rows, isTTY, events) is the stream's own.
 */
export function compactingStream<T extends NodeJS.WriteStream>(stream: T): T {
  const write = (chunk: unknown, ...rest: unknown[]): boolean =>
    (stream.write as (...a: unknown[]) => boolean).call(stream, typeof chunk === 'string' ? compactWrite(chunk) : chunk, ...rest);
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === 'write') return write;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
