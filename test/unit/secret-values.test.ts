import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { collectSecretValues } from '../../src/plan/secret-values.js';
import { planSchema } from '../../src/plan/schema.js';

it('collects every secret a plan refers to, from the environment and files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-sec-'));
  try {
    await writeFile(join(dir, 'smtp.pass'), 'smtp-password-value\n');
    const plan = planSchema.parse({
      service: 's',
      prometheus: { url: 'http://127.0.0.1:9090', tokenEnv: 'PROM_TOKEN', headers: { 'X-Org': { env: 'ORG_KEY' } } },
      notify: [
        { kind: 'slack', urlEnv: 'SLACK_URL' },
        { kind: 'email', smtp: { host: 'localhost', passwordFile: 'smtp.pass' }, from: 'a@b', to: ['c@d'] },
      ],
      stages: [{ id: 'a', promote: { http: { url: 'http://127.0.0.1:1/x', headers: { 'X-Internal-API-Key': { env: 'API_KEY' } } } } }],
    });
    const env = { PROM_TOKEN: 'prom-token-value', ORG_KEY: 'org-key-value', SLACK_URL: 'https://hooks.slack.com/services/T/B/xyz', API_KEY: 'api-key-value', PATH: '/usr/bin' };
    expect(collectSecretValues(plan, env, dir).sort()).toEqual(['api-key-value', 'https://hooks.slack.com/services/T/B/xyz', 'org-key-value', 'prom-token-value', 'smtp-password-value'].sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
