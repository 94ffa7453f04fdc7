/**
 * The simulated fleet: N real HTTP servers on 127.0.0.1 (one per node, port
 * 0), each serving /health, /health/deep and /metrics from its node model,
 * with faults injected per node from code or the control server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../clock.js';
import type { NodeSpec } from '../plan/schema.js';
import { startControlServer, type ControlServer } from './control.js';
import { DEFAULT_PROFILE, parseFault, type Fault, type FaultTarget } from './fault.js';
import { createNodeRegistry } from './metrics.js';
import { SimNode } from './node-model.js';
import { jitter, mulberry32, type Random } from './prng.js';

export interface FleetOptions {
  nodes: number;
  service?: string;
  host?: '127.0.0.1';
  /** Drives metric growth and uptime (a ManualClock gives accelerated time). Latency stays real time. */
  clock?: Clock;
  seed?: number;
  /** The fleet's baseline; fields not given here get a small seeded per-node jitter. */
  profile?: Partial<Fault>;
  /** Start the control HTTP server (POST /faults, POST /clear, GET /state). */
  control?: boolean | { port?: number };
}

export interface FleetNode {
  readonly name: string;
  readonly url: string;
  readonly port: number;
}

export interface FleetNodeState extends FleetNode {
  listening: boolean;
  overrides: Partial<Fault>;
  error?: string;
}

export interface FleetState {
  service: string;
  profile: Fault;
  nodes: FleetNodeState[];
}

export interface Fleet {
  readonly service: string;
  readonly nodes: readonly FleetNode[];
  /** host:port of every node, for a Prometheus scrape config. */
  readonly targets: readonly string[];
  /** Set when started with `control`. */
  readonly controlUrl: string | undefined;
  /** The nodes as a plan's `nodes:` list. */
  planNodes(): NodeSpec[];
  /** Merges `fault` into the targets' current faults. Resolves once down/up servers have closed/reopened. */
  setFault(target: FaultTarget, fault: Partial<Fault>): Promise<void>;
  /** Back to the profile (all nodes, or the targets). */
  clearFaults(target?: FaultTarget): Promise<void>;
  /** A node's fault in force. */
  faultOf(node: string | number): Fault;
  state(): FleetState;
  /** Closes every server and socket. */
  close(): Promise<void>;
}

export const MAX_FLEET_NODES = 10_000;
const JITTERED: Array<[keyof Fault, (rand: Random, v: number) => number]> = [
  ['requestRate', (r, v) => v * jitter(r, 1, 0.1)],
  ['saturation', (r, v) => clamp01(jitter(r, v, 0.05))],
  ['queueLength', (r, v) => Math.max(0, Math.round(v * jitter(r, 1, 0.2)))],
  ['memoryRatio', (r, v) => clamp01(jitter(r, v, 0.03))],
  ['hashP95Ms', (r, v) => v * jitter(r, 1, 0.1)],
];

interface NodeServer {
  node: SimNode;
  info: FleetNode;
  server: http.Server;
  listening: boolean;
  registry?: Registry;
  timers: Set<NodeJS.Timeout>;
  /** Serialises close/reopen so overlapping fault changes settle in order. */
  transition: Promise<void>;
  error?: string;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_FLEET_NODES) {
    throw new Error(`a fleet needs between 1 and ${MAX_FLEET_NODES} nodes, got ${String(opts.nodes)}`);
  }
  const explicit = parseFault(opts.profile ?? {});
  const fleet = new SimFleet(opts.service ?? 'dhash', opts.host ?? '127.0.0.1', opts.clock ?? systemClock, { ...DEFAULT_PROFILE, ...defined(explicit) });
  const rand = mulberry32(opts.seed ?? 1);
  try {
    await fleet.start(opts.nodes, rand, explicit);
    if (opts.control) await fleet.startControl(typeof opts.control === 'object' ? opts.control.port : undefined);
  } catch (err) {
    await fleet.close();
    throw err;
  }
  return fleet;
}

class SimFleet implements Fleet {
  nodes: FleetNode[] = [];
  targets: string[] = [];
  controlUrl: string | undefined;
  private servers: NodeServer[] = [];
  private byName = new Map<string, NodeServer>();
  private control: ControlServer | undefined;
  private closed = false;

  constructor(
    readonly service: string,
    private readonly host: string,
    private readonly clock: Clock,
    private readonly profile: Fault,
  ) {}

  async start(count: number, rand: Random, explicit: Partial<Fault>): Promise<void> {
    const now = this.clock.now();
    for (let i = 0; i < count; i++) {
      const base: Fault = { ...this.profile };
      for (const [key, vary] of JITTERED) {
        const v = vary(rand, base[key] as number);
        if (explicit[key] === undefined) (base as unknown as Record<string, number>)[key] = v;
      }
      const node = new SimNode(i, `${this.service}-${i + 1}`, base, now);
      const ns: NodeServer = {
        node,
        info: { name: node.name, url: '', port: 0 },
        server: http.createServer((req, res) => this.handle(ns, req, res)),
        listening: false,
        timers: new Set(),
        transition: Promise.resolve(),
      };
      ns.server.keepAliveTimeout = 10_000;
      this.servers.push(ns);
      this.byName.set(node.name, ns);
    }
    await Promise.all(this.servers.map((ns) => this.listen(ns, 0)));
    for (const ns of this.servers) {
      const port = (ns.server.address() as AddressInfo).port;
      ns.info = { name: ns.node.name, url: `http://${this.host}:${port}`, port };
    }
    this.nodes = this.servers.map((ns) => ns.info);
    this.targets = this.nodes.map((n) => `${this.host}:${n.port}`);
  }

  async startControl(port?: number): Promise<void> {
    this.control = await startControlServer(this, { host: this.host, port: port ?? 0 });
    this.controlUrl = this.control.url;
  }

  planNodes(): NodeSpec[] {
    return this.nodes.map((n) => ({ name: n.name, url: n.url, health: '/health', deep: '/health/deep', labels: { service: this.service } }));
  }

  async setFault(target: FaultTarget, fault: Partial<Fault>): Promise<void> {
    const change = defined(parseFault(fault));
    const now = this.clock.now();
    const targets = this.resolve(target);
    for (const ns of targets) ns.node.setOverrides({ ...ns.node.overrides, ...change }, now);
    await this.syncListening(targets);
  }

  async clearFaults(target: FaultTarget = 'all'): Promise<void> {
    const now = this.clock.now();
    const targets = this.resolve(target);
    for (const ns of targets) ns.node.setOverrides({}, now);
    await this.syncListening(targets);
  }

  faultOf(node: string | number): Fault {
    const [ns] = this.resolve(typeof node === 'number' ? [node] : node);
    return { ...ns!.node.fault };
  }

  state(): FleetState {
    return {
      service: this.service,
      profile: { ...this.profile },
      nodes: this.servers.map((ns) => ({
        ...ns.info,
        listening: ns.listening,
        overrides: { ...ns.node.overrides },
        ...(ns.error ? { error: ns.error } : {}),
      })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.control?.close();
    await Promise.all(
      this.servers.map(async (ns) => {
        await ns.transition;
        await this.shut(ns);
      }),
    );
  }

  private resolve(target: FaultTarget): NodeServer[] {
    if (target === 'all') return this.servers;
    if (typeof target === 'string') {
      const ns = this.byName.get(target);
      if (!ns) throw new Error(`unknown node "${target}" (nodes are ${this.service}-1 … ${this.service}-${this.servers.length})`);
      return [ns];
    }
    if (!Array.isArray(target)) throw new Error('expected a target of "all", a node name, or a list of node indexes');
    return target.map((i) => {
      const ns = Number.isInteger(i) ? this.servers[i] : undefined;
      if (!ns) throw new Error(`no node at index ${String(i)} (0 … ${this.servers.length - 1})`);
      return ns;
    });
  }

  private async syncListening(targets: NodeServer[]): Promise<void> {
    if (this.closed) return;
    await Promise.all(
      targets.map((ns) => {
        ns.transition = ns.transition.then(async () => {
          if (this.closed) return;
          if (ns.node.fault.down && ns.listening) await this.shut(ns);
          else if (!ns.node.fault.down && !ns.listening) await this.listen(ns, ns.info.port).catch(() => undefined);
        });
        return ns.transition;
      }),
    );
  }

  private listen(ns: NodeServer, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        ns.error = `listen on ${this.host}:${port}: ${err.message}`;
        reject(err);
      };
      ns.server.once('error', onError);
      ns.server.listen(port, this.host, () => {
        ns.server.off('error', onError);
        ns.listening = true;
        delete ns.error;
        resolve();
      });
    });
  }

  private shut(ns: NodeServer): Promise<void> {
    for (const t of ns.timers) clearTimeout(t);
    ns.timers.clear();
    if (!ns.listening) return Promise.resolve();
    ns.listening = false;
    return new Promise((resolve) => {
      ns.server.close(() => resolve());
      ns.server.closeAllConnections();
    });
  }

  private handle(ns: NodeServer, req: http.IncomingMessage, res: http.ServerResponse): void {
    const delay = ns.node.fault.latencyMs;
    if (delay <= 0) return void this.respond(ns, req, res);
    const timer = setTimeout(() => {
      ns.timers.delete(timer);
      void this.respond(ns, req, res);
    }, delay);
    ns.timers.add(timer);
  }

  private async respond(ns: NodeServer, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const node = ns.node;
    const f = node.fault;
    try {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET' });
      if (path === '/health' || path === '/health/deep') {
        node.settle(this.clock.now());
        if (f.circuitOpen) {
          return sendJson(res, 503, { error_code: 'CIRCUIT_BREAKER_OPEN', message: 'circuit breaker open: failing fast' });
        }
        if (f.poolExhausted) {
          return sendJson(
            res,
            503,
            { error_code: 'DB_POOL_EXHAUSTED', message: 'database pool exhausted', retry_after_seconds: f.retryAfterSeconds },
            { 'retry-after': String(f.retryAfterSeconds) },
          );
        }
        return sendJson(res, 200, node.health(this.clock.now(), this.service, path === '/health/deep'));
      }
      if (path === '/metrics') {
        ns.registry ??= createNodeRegistry(node, this.service, () => this.clock.now());
        const text = await ns.registry.metrics();
        res.writeHead(200, { 'content-type': ns.registry.contentType });
        return void res.end(text);
      }
      return sendJson(res, 404, { error: `no route ${path}` });
    } catch (err) {
      if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    }
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}
