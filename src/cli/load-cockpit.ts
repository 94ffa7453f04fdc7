/**
 * Loads the cockpit (Ink and React) on demand. Ink renders nothing live when
 * it believes it runs in CI (the is-in-ci package reads CI and
 * CONTINUOUS_INTEGRATION once, when it loads). The cockpit only starts on a
 * terminal, where someone is looking, so those variables are set aside while
 * Ink loads and put back at once: actions still see the environment as it was.
 */
const CI_VARS = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

export async function loadCockpit(): Promise<typeof import('../../components/render-cockpit.js')> {
  const saved = CI_VARS.map((k) => [k, process.env[k]] as const);
  for (const [k] of saved) delete process.env[k];
  try {
    return await import('../../components/render-cockpit.js');
  } finally {
    for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
  }
}
