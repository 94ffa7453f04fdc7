/**
 * promlite's HTTP server on loopback: the Prometheus API routes over the
 * store (GET, and POST forms where Prometheus takes them), /-/ready and
 * /-/healthy. Evaluation time defaults to the injected clock's now.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../clock.js';
import type { RuleEvaluator } from './alerting.js';
import { alertsApi, buildInfoApi, instantQueryApi, rangeQueryApi, rulesApi, seriesApi, targetsApi, type ApiContext, type ApiResponse, type Params } from './api.js';
import type { Scraper } from './scraper.js';
import type { SeriesStore } from './store.js';

export interface PromLiteOptions {
  store: SeriesStore;
  /** Source of /api/v1/alerts (none: always an empty list). */
  rules?: Pick<RuleEvaluator, 'alerts' | 'rules'>;
  /** Source of /api/v1/targets. */
  scraper?: Pick<Scraper, 'targets'>;
  job?: string;
  clock: Clock;
  host?: '127.0.0.1';
  port?: number;
}

export interface PromLite {
  url: string;
  close(): Promise<void>;
}

const MAX_FORM_BYTES = 1024 * 1024;
const FORM_TYPE = 'application/x-www-form-urlencoded';

type Route = { methods: string[]; handle: (ctx: ApiContext, params: Params) => ApiResponse };

const text = (status: number, body: string): ApiResponse => ({ status, body, contentType: 'text/plain; charset=utf-8' });

const ROUTES: Record<string, Route> = {
  '/api/v1/query': { methods: ['GET', 'POST'], handle: instantQueryApi },
  '/api/v1/query_range': { methods: ['GET', 'POST'], handle: rangeQueryApi },
  '/api/v1/series': { methods: ['GET', 'POST'], handle: seriesApi },
  '/api/v1/alerts': { methods: ['GET'], handle: (ctx) => alertsApi(ctx) },
  '/api/v1/rules': { methods: ['GET'], handle: rulesApi },
  '/api/v1/targets': { methods: ['GET'], handle: (ctx) => targetsApi(ctx) },
  '/api/v1/status/buildinfo': { methods: ['GET'], handle: () => buildInfoApi() },
  '/-/ready': { methods: ['GET', 'HEAD'], handle: () => text(200, 'Prometheus Server is Ready.\n') },
  '/-/healthy': { methods: ['GET', 'HEAD'], handle: () => text(200, 'Prometheus Server is Healthy.\n') },
};

export async function startPromLite(opts: PromLiteOptions): Promise<PromLite> {
  const host = opts.host ?? '127.0.0.1';
  const ctx: ApiContext = {
    store: opts.store,
    clock: opts.clock,
    ...(opts.rules ? { alerts: () => opts.rules!.alerts(), rules: () => opts.rules!.rules() } : {}),
    ...(opts.scraper ? { targets: () => opts.scraper!.targets() } : {}),
    ...(opts.job ? { job: opts.job } : {}),
  };

  const server = http.createServer((req, res) => {
    void respond(ctx, req).then(
      (r) => send(res, r),
      (err: unknown) => send(res, text(500, `${err instanceof Error ? err.message : String(err)}\n`)),
    );
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function respond(ctx: ApiContext, req: http.IncomingMessage): Promise<ApiResponse> {
  const url = new URL(req.url ?? '/', 'http://promlite');
  const route = ROUTES[url.pathname];
  if (!route) {
    req.resume();
    return text(404, '404 page not found\n');
  }
  const method = req.method ?? 'GET';
  if (!route.methods.includes(method)) {
    req.resume();
    return { ...text(405, 'Method Not Allowed\n'), headers: { allow: [...route.methods, 'OPTIONS'].sort().join(', ') } };
  }
  const query = url.searchParams;
  let form: URLSearchParams | undefined;
  if (method === 'POST') {
    const body = await readBody(req);
    if (body === undefined) return text(413, 'request body too large\n');
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === FORM_TYPE) form = new URLSearchParams(body);
  } else {
    req.resume();
  }
  // Go's r.Form: body values first, then the URL's.
  const params: Params = {
    get: (name) => form?.get(name) ?? query.get(name) ?? undefined,
    getAll: (name) => [...(form?.getAll(name) ?? []), ...query.getAll(name)],
  };
  return route.handle(ctx, params);
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, r: ApiResponse): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(r.status, { ...r.headers, 'content-type': r.contentType, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}
