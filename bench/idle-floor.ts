/**
 * The floor for `watch --json`'s idle CPU: a bare undici loop doing a poll's
 * network, on the plan's cadence, with nothing of Flightdeck's. Every
 * interval it GETs each node's health URL through one kept Agent (one
 * connection per origin, kept as long as the node allows, as the runtime's
 * node transport does), JSON-parses each body, and asks Prometheus each
 * gate's query (GET /api/v1/query, the JSON parsed). It prints a line per poll.
 *
 *   node dist/bench/idle-floor.js PLAN_FILE INTERVAL_MS
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Agent } from 'undici';
import type { NodeSpec } from '../src/plan/schema.js';
import { bareGets, nodeUrls } from './poll-cycle.js';

interface IdlePlan {
  prometheus?: { url: string };
  nodes: NodeSpec[];
  stages: Array<{ gates?: Array<{ query?: string }> }>;
}

export function floorUrls(plan: IdlePlan): { nodes: string[]; queries: string[] } {
  const base = plan.prometheus?.url.replace(/\/+$/, '');
  const queries = plan.stages.flatMap((s) => s.gates ?? []).flatMap((g) => (g.query && base ? [`${base}/api/v1/query?query=${encodeURIComponent(g.query)}`] : []));
  return { nodes: nodeUrls(plan.nodes), queries };
}

async function main(planFile: string, intervalMs: number): Promise<void> {
  const { nodes, queries } = floorUrls(JSON.parse(readFileSync(planFile, 'utf8')) as IdlePlan);
  const keep = 2 * intervalMs + 10_000;
  const nodeAgent = new Agent({ connections: 1, keepAliveTimeout: keep, keepAliveMaxTimeout: keep });
  const promAgent = new Agent({ connections: 8 });
  let polls = 0;
  const poll = async () => {
    const [ok] = await Promise.all([bareGets(nodeAgent, nodes), bareGets(promAgent, queries, 8)]);
    process.stdout.write(`poll ${++polls}: ${ok}/${nodes.length} nodes answered 200\n`);
  };
  await poll();
  setInterval(() => void poll(), intervalMs);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [plan, interval] = process.argv.slice(2);
  if (!plan || !Number(interval)) {
    process.stderr.write('usage: node dist/bench/idle-floor.js PLAN_FILE INTERVAL_MS\n');
    process.exit(2);
  }
  main(plan, Number(interval)).catch((err: unknown) => {
    process.stderr.write(`idle-floor: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  });
}
