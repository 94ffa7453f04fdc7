/**
 * The fleet's control server, so another process (the demo's scripts, tmux
 * tests) can inject faults: POST /faults {target, fault}, POST /clear
 * {target?}, GET /state.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { faultTargetSchema, type Fault, type FaultTarget } from './fault.js';
import type { FleetState } from './fleet.js';

/** The part of a fleet the control server drives. */
export interface Controllable {
  setFault(target: FaultTarget, fault: Partial<Fault>): Promise<void>;
  clearFaults(target?: FaultTarget): Promise<void>;
  state(): FleetState;
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const faultRequest = z.object({ target: faultTargetSchema.default('all'), fault: z.record(z.string(), z.unknown()) }).strict();
const clearRequest = z.object({ target: faultTargetSchema.optional() }).strict();

class BadRequest extends Error {}

export async function startControlServer(fleet: Controllable, opts: { host: string; port: number }): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    handle(fleet, req)
      .then(([status, body]) => send(res, status, body))
      .catch((err: unknown) => {
        const status = err instanceof BadRequest ? 400 : 500;
        send(res, status, { error: err instanceof Error ? err.message : String(err) });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(fleet: Controllable, req: http.IncomingMessage): Promise<[number, unknown]> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/state') return [200, fleet.state()];
  if (req.method === 'POST' && path === '/faults') {
    const parsed = faultRequest.safeParse(await readJson(req));
    if (!parsed.success) throw new BadRequest(`expected {"target": "all" | node name | [indexes], "fault": {...}}: ${parsed.error.issues[0]?.message}`);
    await applying(() => fleet.setFault(parsed.data.target, parsed.data.fault as Partial<Fault>));
    return [200, { ok: true }];
  }
  if (req.method === 'POST' && path === '/clear') {
    const parsed = clearRequest.safeParse(await readJson(req, true));
    if (!parsed.success) throw new BadRequest(`expected {"target"?: "all" | node name | [indexes]}: ${parsed.error.issues[0]?.message}`);
    await applying(() => fleet.clearFaults(parsed.data.target));
    return [200, { ok: true }];
  }
  return [404, { error: `no route ${req.method} ${path}; try GET /state, POST /faults, POST /clear` }];
}

/** Fleet errors from bad input (unknown node, invalid fault) are the caller's: 400. */
async function applying(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new BadRequest(err instanceof Error ? err.message : String(err));
  }
}

async function readJson(req: http.IncomingMessage, emptyOk = false): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadRequest(`body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) {
    if (emptyOk) return {};
    throw new BadRequest('expected a JSON body');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest('body is not JSON');
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
