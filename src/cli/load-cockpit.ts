/**
 * Loads the cockpit (Ink and React) on demand, with the environment they
 * read once, when they load:
 * - React picks its development build unless NODE_ENV is "production"; that
 *   build checks and times every render (several times slower, and the
 *   cockpit repaints every second), so the production build is chosen.
 * - Ink renders nothing live when it believes it runs in CI (the is-in-ci
 *   package reads CI and CONTINUOUS_INTEGRATION); the cockpit only starts on
 *   a terminal, where someone is looking, so those are set aside.
 * The variables are put back at once: actions see the environment as it was.
 */
const SET_ASIDE = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

type CockpitModule = typeof import('../../components/render-cockpit.js');
let loading: Promise<CockpitModule> | null = null;

/** Loads once; later calls share the same load. */
export function loadCockpit(): Promise<CockpitModule> {
  loading ??= load();
  return loading;
}

async function load(): Promise<CockpitModule> {
  const saved = [...SET_ASIDE, 'NODE_ENV'].map((k) => [k, process.env[k]] as const);
  for (const k of SET_ASIDE) delete process.env[k];
  process.env.NODE_ENV = 'production';
  // --no-color must not take bold and reverse too (chalk reads the flag as "no styles"): the
  // cockpit's no-color theme uses no colours, only emphasis, as under NO_COLOR.
  const keepStyles = process.argv.includes('--no-color') && process.env.FORCE_COLOR === undefined;
  if (keepStyles) process.env.FORCE_COLOR = '1';
  try {
    return await import('../../components/render-cockpit.js');
  } finally {
    if (keepStyles) delete process.env.FORCE_COLOR;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
