/**
 * A tiny loopback HTTP server for the answers a real Prometheus never gives:
 * HTML pages, truncated JSON, wrong types, huge bodies, a server that hangs.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void;

export interface FakeHttp {
  url: string;
  /** Every request received, with its full body. */
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  /** Connections accepted since start (keep-alive reuses them). */
  acceptedConnections(): number;
  /** Sockets currently open on the server side. */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

export async function startFakeHttp(handler: Handler): Promise<FakeHttp> {
  const requests: FakeHttp['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(Object.assign(req, { body }), res);
    });
  });
  let accepted = 0;
  server.on('connection', () => accepted++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    acceptedConnections: () => accepted,
    openConnections: () => new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ------------------------------------------------------------ canned handlers

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const errorEnvelope = (errorType: string, error: string): string => JSON.stringify({ status: 'error', errorType, error });

export const handlers = {
  /** Answers every request with `body` (a fixture) and `status`. */
  json: (body: string | object, status = 200): Handler => (_req, res) =>
    send(res, status, typeof body === 'string' ? body : JSON.stringify(body)),
  htmlPage: (status: 200 | 502): Handler => (_req, res) =>
    send(res, status, '<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Please log in</h1></body></html>', 'text/html'),
  truncatedJson: (): Handler => (_req, res) =>
    send(res, 200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1700000000.1,"0.5'),
  /** value is ["0.5", 1700000000] instead of [ts, "str"]. */
  wrongTypes: (): Handler => (_req, res) =>
    send(res, 200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: ['0.5', 1700000000] }] } })),
  /** Streams `mb` megabytes of a never-ending JSON string, without a content-length. */
  huge: (mb = 20): Handler => (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"status":"success","data":{"resultType":"string","result":[1,"');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = Math.ceil((mb * 1024 * 1024) / chunk.length);
    const pump = (): void => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end('"]}}');
    };
    res.on('close', () => (left = 0));
    pump();
  },
  /** Accepts the request and never answers. */
  hang: (): Handler => () => undefined,
  serviceUnavailable: (): Handler => (_req, res) => send(res, 503, 'Service Unavailable', 'text/plain; charset=utf-8'),
  badData: (): Handler => (_req, res) =>
    send(res, 400, errorEnvelope('bad_data', 'invalid parameter "query": 1:5: parse error: unexpected <by>')),
  execution: (): Handler => (_req, res) =>
    send(res, 422, errorEnvelope('execution', 'query processing would load too many samples into memory in query execution')),
  timeoutEnvelope: (): Handler => (_req, res) =>
    send(res, 503, errorEnvelope('timeout', 'query timed out in expression evaluation')),
  tooManyRequests: (): Handler => (_req, res) => {
    res.setHeader('retry-after', '5');
    send(res, 429, 'Too Many Requests', 'text/plain');
  },
};
