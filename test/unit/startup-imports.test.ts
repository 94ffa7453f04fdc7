/**
 * What `flightdeck watch` loads before its first frame (issue 14): the bundle as `npm run build` made
 * it (esbuild, split at every import(); its metafile), and the chunks main.ts and the watch command load
 * by static imports. Libraries the first frame does not need must be behind an import() at first use.
 */
import type { Metafile } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The program's bundle as `npm run build` made it (scripts/build.mjs writes its metafile beside it). */
function metafile(): Metafile {
  return JSON.parse(readFileSync(join(ROOT, 'dist', 'build-meta.json'), 'utf8')) as Metafile;
}

/** Every source file in the chunks loaded by static imports from the chunks of these entry files. */
function loadedWith(meta: Metafile, entries: string[]): string[] {
  const outs = meta.outputs;
  const seen = new Set<string>();
  const stack = entries.map((e) => {
    const out = Object.keys(outs).find((k) => outs[k]!.entryPoint === e);
    if (!out) throw new Error(`no chunk for ${e}`);
    return out;
  });
  while (stack.length) {
    const k = stack.pop()!;
    if (seen.has(k)) continue;
    seen.add(k);
    for (const i of outs[k]!.imports) if (i.kind === 'import-statement' && outs[i.path]) stack.push(i.path);
  }
  return [...seen].flatMap((k) => Object.keys(outs[k]!.inputs));
}

describe('start-up path of watch (exec -> first frame)', () => {
  it('does not load the yaml library, the statistics (jstat), the compare judge or the HTTP client (undici) before they are used', async () => {
    const files = loadedWith(metafile(), ['src/cli/main.ts', 'src/cli/watch.ts', 'src/cli/plan-input.ts']);
    // What it must load, so the test looks at the right chunks.
    expect(files).toContain('src/plan/plan-file.ts');
    expect(files).toContain('src/cli/watch.ts');
    const late = files.filter((f) => /node_modules\/(yaml|jstat|undici)\/|src\/judge\/classify\.ts|src\/plan\/load\.ts/.test(f));
    expect(late).toEqual([]);
  }, 60_000);

  it("takes from zod only the schemas used: not its other languages' messages, its JSON Schema import or its compiler (import * as z lets esbuild drop them: 734 KB of zod before, 198 KB after)", () => {
    const files = loadedWith(metafile(), ['src/cli/main.ts', 'src/cli/watch.ts', 'src/cli/plan-input.ts']);
    expect(files).toContain('node_modules/zod/v4/classic/schemas.js');
    const unused = files.filter((f) => /node_modules\/zod\/v4\/(locales\/(?!en\.js)|classic\/from-json-schema|core\/compile)/.test(f));
    expect(unused).toEqual([]);
  }, 60_000);
});

describe('the cockpit bundle (dist/, npm run build)', () => {
  it("carries React's production build only (the development one, 1.2 MB of react-reconciler alone, is never run by the cockpit)", () => {
    const inputs = Object.values(metafile().outputs).flatMap((o) => Object.keys(o.inputs));
    expect(inputs).toContain('node_modules/react-reconciler/cjs/react-reconciler.production.js');
    expect(inputs.filter((f) => /node_modules\/(react|react-reconciler|scheduler)\/cjs\/.*development/.test(f))).toEqual([]);
  });

  it("gives Ink and the text packages the string-width that does not segment standalone characters, and string-width-fast the real one", () => {
    const { inputs } = metafile();
    const resolved = (file: string) => inputs[file]?.imports.find((i) => i.original === 'string-width')?.path;
    for (const file of ['node_modules/ink/build/output.js', 'node_modules/widest-line/index.js', 'node_modules/wrap-ansi/index.js', 'node_modules/cli-truncate/index.js']) {
      expect([file, resolved(file)]).toEqual([file, 'components/string-width-fast.ts']);
    }
    expect(resolved('components/string-width-fast.ts')).toBe('node_modules/string-width/index.js');
  });

  it("gives Ink's dom.js and render-node-to-output.js the squashTextNodes remembered per text node, and it Ink's own", () => {
    const { inputs } = metafile();
    const resolved = (file: string, original: string) => inputs[file]?.imports.find((i) => i.original === original)?.path;
    for (const file of ['node_modules/ink/build/dom.js', 'node_modules/ink/build/render-node-to-output.js']) {
      expect([file, resolved(file, './squash-text-nodes.js')]).toEqual([file, 'components/squash-text-cached.ts']);
    }
    expect(resolved('components/squash-text-cached.ts', '../node_modules/ink/build/squash-text-nodes.js')).toBe('node_modules/ink/build/squash-text-nodes.js');
  });

  it('loads the layout engine (yoga) without fetch(): Node would first load its own undici for it', async () => {
    const chunks = join(ROOT, 'dist', 'chunks');
    const cockpit = readdirSync(chunks).find((f) => /^render-cockpit-.*\.js$/.test(f));
    expect(cockpit, 'dist/ is built (npm run build)').toBeDefined();
    // A fresh Node counts the fetch() calls made while the cockpit's chunk (Ink, yoga) loads.
    const script = `let n = 0; const f = globalThis.fetch; globalThis.fetch = (...a) => { n++; return f(...a); };
      await import(${JSON.stringify(pathToFileURL(join(chunks, cockpit!)).href)}); process.stdout.write('fetches ' + n);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('fetches 0');
  }, 90_000);
});
