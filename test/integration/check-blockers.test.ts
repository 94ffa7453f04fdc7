/**
 * `check --json` from the built binary: what stops promotion is a list of
 * objects in one shape (#11), bake time among them, and a gate blocking on
 * some nodes names them. Two loopback nodes, one answering 503.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { flightdeck } from '../helpers/cli.js';
import { startFakeHttp, type FakeHttp } from '../helpers/fake-http.js';

let up: FakeHttp;
let down: FakeHttp;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-blockers-'));
  up = await startFakeHttp((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', pool: { saturation: 0.2 } })));
  down = await startFakeHttp((_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'down', pool: { saturation: 0.97 } })));
});

afterAll(async () => {
  await Promise.all([up?.close(), down?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('check --json blockers', () => {
  it('lists the bake time and each blocking gate as objects, naming the nodes a node gate blocks on', async () => {
    const plan = join(dir, 'plan.yaml');
    await writeFile(
      plan,
      stringify({
        service: 'svc',
        nodes: [
          { name: 'web-1', url: up.url },
          { name: 'web-2', url: down.url },
        ],
        polling: { window: '60m', phases: [{ every: '1s' }], hot: '1s' },
        stages: [
          { id: 'canary', bake: '10m', gates: [{ id: 'health', health: { consecutiveFailures: 1 } }, { id: 'pool', healthField: 'pool.saturation', fail: '>= 0.9' }] },
          { id: 'full' },
        ],
      }),
    );
    const r = await flightdeck(['check', '--json', plan], { cwd: dir });
    expect(r.code).not.toBe(0);
    const json = JSON.parse(r.stdout) as { promotable: boolean; blockers: Array<Record<string, unknown>> };
    expect(json.promotable).toBe(false);
    // The bake time is first (the check's own run takes it a little below 10m).
    const bake = json.blockers[0] as { kind: string; left: string; leftMs: number };
    expect(Object.keys(bake).sort()).toEqual(['kind', 'left', 'leftMs']);
    expect(bake.kind).toBe('bake');
    expect(bake.leftMs).toBeGreaterThan(540_000);
    expect(bake.leftMs).toBeLessThanOrEqual(600_000);
    expect(bake.left).toMatch(/^(10m|9m\d+s)$/);
    const byId = Object.fromEntries(json.blockers.filter((b) => b.kind === 'gate').map((b) => [b.id, b]));
    expect(byId.health).toMatchObject({ kind: 'gate', id: 'health', state: 'failing', nodes: ['web-2'] });
    // The 503 body is read as data: web-2's saturation breaches.
    expect(byId.pool).toMatchObject({ kind: 'gate', id: 'pool', state: 'failing', nodes: ['web-2'] });
    expect(Object.keys(byId).sort()).toEqual(['health', 'pool']);
    for (const b of json.blockers) expect(b).not.toHaveProperty('gateId');
  });
});
