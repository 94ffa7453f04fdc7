/**
 * Loads the cockpit (Ink and React) on demand. React picks its development
 * build unless NODE_ENV is "production" when it loads; that build checks and
 * times every render (several times slower, and the cockpit repaints every
 * second), so the production build is chosen. NODE_ENV is put back at once:
 * actions see the environment as it was.
 */
type CockpitModule = typeof import('../../components/render-cockpit.js');
let loading: Promise<CockpitModule> | null = null;

/** Loads once; later calls share the same load. */
export function loadCockpit(): Promise<CockpitModule> {
  loading ??= load();
  return loading;
}

async function load(): Promise<CockpitModule> {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  // --no-color must not take bold and reverse too (chalk reads the flag as "no styles"): the
  // cockpit's no-color theme uses no colours, only emphasis, as under NO_COLOR.
  const keepStyles = process.argv.includes('--no-color') && process.env.FORCE_COLOR === undefined;
  if (keepStyles) process.env.FORCE_COLOR = '1';
  try {
    return await import('../../components/render-cockpit.js');
  } finally {
    if (keepStyles) delete process.env.FORCE_COLOR;
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  }
}
