/**
 * Ink as the program's bundle has it, for a bench that loads Ink from
 * node_modules: where Ink imports 'widest-line', it gets the memoised one
 * (components/widest-line-cached.ts), and where a package in node_modules
 * imports 'string-width', components/string-width-fast.ts, and where Ink
 * imports its './squash-text-nodes.js', components/squash-text-cached.ts, as
 * scripts/build.mjs gives them in the bundle. Without it, a frame measured here paid string-width for every
 * <Text> on every frame (a quarter of a poll frame's time at 160x50), which
 * the shipped cockpit does not.
 *
 * Import it before Ink is first imported (a resolve hook on Node's loader:
 * module.registerHooks, Node >= 22.15).
 */
import module from 'node:module';

const CACHED = new URL('../components/widest-line-cached.js', import.meta.url).href;
const FAST_WIDTH = new URL('../components/string-width-fast.js', import.meta.url).href;
const CACHED_SQUASH = new URL('../components/squash-text-cached.js', import.meta.url).href;

export const asShipped = { widestLineResolved: 0, stringWidthResolved: 0, squashResolved: 0 };

module.registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'widest-line' && context.parentURL?.includes('/node_modules/ink/')) {
      asShipped.widestLineResolved++;
      return { url: CACHED, shortCircuit: true };
    }
    if (specifier === './squash-text-nodes.js' && /\/node_modules\/ink\/build\/[^/]+$/.test(context.parentURL ?? '')) {
      asShipped.squashResolved++;
      return { url: CACHED_SQUASH, shortCircuit: true };
    }
    if (specifier === 'string-width' && context.parentURL?.includes('/node_modules/')) {
      asShipped.stringWidthResolved++;
      return { url: FAST_WIDTH, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
