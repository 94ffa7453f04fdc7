/**
 * Builds what runs, without type-checking (`npm run typecheck` does that):
 * - dist/flightdeck.js: the program `bin/flightdeck` starts, bundled with its
 *   libraries into ESM; every `import()` becomes its own file under
 *   dist/chunks/, so a command loads only what it uses (the cockpit's Ink and
 *   React only when a cockpit is drawn).
 * - with --bench: src/, components/, checks/, bench/ and test/helpers/ transpiled file by
 *   file into dist/ (the bench imports the modules it measures and starts its
 *   own scripts from dist/bench/).
 * Runs at install (`prepare`), in `npm test` and in `npm run bench`.
 */
import { build } from 'esbuild';
import { readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const bench = process.argv.includes('--bench');

// Ink measures every <Text> on every frame with widest-line: give it the memoised one (components/widest-line-cached.ts).
const cachedWidestLine = {
  name: 'cached-widest-line',
  setup(b) {
    b.onResolve({ filter: /^widest-line$/ }, (args) => (/[\\/]node_modules[\\/]ink[\\/]/.test(args.importer) ? { path: join(ROOT, 'components', 'widest-line-cached.ts') } : undefined));
  },
};

// Ink and the text packages it uses measure with string-width: give them the one that does not segment
// standalone characters (components/string-width-fast.ts, which itself imports the real one).
const fastStringWidth = {
  name: 'fast-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) => (/[\\/]node_modules[\\/]/.test(args.importer) ? { path: join(ROOT, 'components', 'string-width-fast.ts') } : undefined));
  },
};

// Ink squashes every <Text> on every frame (sanitising a styled row means tokenising it again): give its
// dom.js and render-node-to-output.js the one remembered per text node (components/squash-text-cached.ts).
const cachedSquash = {
  name: 'cached-squash-text-nodes',
  setup(b) {
    b.onResolve({ filter: /^\.\/squash-text-nodes\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]ink[\\/]build[\\/][^\\/]+$/.test(args.importer) ? { path: join(ROOT, 'components', 'squash-text-cached.ts') } : undefined,
    );
  },
};

rmSync(DIST, { recursive: true, force: true });

/**
 * Ink's layout engine (yoga-layout 3) carries its WebAssembly as a base64 data: URL and, when
 * `fetch` exists, reads it through fetch(), which makes Node load its own copy of undici first
 * (~100 ms of a cockpit's start-up, seen with --cpu-prof). Its other branch decodes the same
 * bytes in place: the bundle takes that one. The build fails if the code is not as expected (an
 * upgraded yoga-layout), rather than silently keeping the slow path.
 */
const YOGA_FETCH = 'function ya(){return w||"function"!=typeof fetch?';
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (text.split(YOGA_FETCH).length !== 2) {
        throw new Error(`${args.path}: its wasm loader is not the one scripts/build.mjs expects (${YOGA_FETCH}); look again at the yoga-without-fetch plugin`);
      }
      return { contents: text.replace(YOGA_FETCH, 'function ya(){return true?'), loader: 'js' };
    });
  },
};

/**
 * React, its reconciler and its scheduler pick their production or development build from
 * NODE_ENV at run time (an `if` around two require()s), so a bundle carried both: 1.2 MB of
 * react-reconciler alone in the cockpit's chunk, read and hashed at every start for a build never
 * run (the cockpit loads the production one: src/cli/load-cockpit.ts). The bundle takes the
 * production branch; the development one is dropped as dead code. Tests and the bench run the
 * sources, where NODE_ENV still chooses.
 */
const NODE_ENV_TEST = "process.env.NODE_ENV === 'production'";
const reactProduction = {
  name: 'react-production',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/](react|react-reconciler|scheduler)[\\/][^\\/]+\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(NODE_ENV_TEST)) return undefined;
      return { contents: text.replaceAll(NODE_ENV_TEST, 'true'), loader: 'js' };
    });
  },
};

const program = await build({
  absWorkingDir: ROOT,
  entryPoints: { flightdeck: 'src/cli/main.ts' },
  outdir: DIST,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22.19',
  jsx: 'automatic',
  // Ink loads React's devtools only when asked to (DEV=true); they are not installed.
  external: ['react-devtools-core'],
  plugins: [yogaWithoutFetch, cachedWidestLine, fastStringWidth, cachedSquash, reactProduction],
  // Bundled CommonJS libraries call require() for Node's own modules.
  banner: { js: "import { createRequire as __fdCreateRequire } from 'node:module'; const require = __fdCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
// What went into which chunk, and which chunk imports which: test/unit/startup-imports.test.ts reads it.
writeFileSync(join(DIST, 'build-meta.json'), JSON.stringify(program.metafile));

if (bench) {
  const sources = ['src', 'components', 'checks', 'bench', 'test/helpers'].flatMap((dir) => files(join(ROOT, dir)));
  await build({
    absWorkingDir: ROOT,
    entryPoints: sources.map((f) => relative(ROOT, f)),
    outbase: ROOT,
    outdir: DIST,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node22.19',
    jsx: 'automatic',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // components/ink-output.ts imports Ink's Output by its file (not in Ink's export map); the
  // transpiled copies under dist/ find it through this link (the bundle above has it inlined).
  symlinkSync('../node_modules', join(DIST, 'node_modules'), 'dir');
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}
