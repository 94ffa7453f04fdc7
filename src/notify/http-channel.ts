/**
 * The channel behind Slack, Teams, Discord and the generic webhook: POST the
 * channel's JSON payload and turn the answer into success or a DeliveryError
 * that says whether a retry can help.
 */
import { HttpError, type HttpTransport } from '../sources/types.js';
import { parseRetryAfter } from './retry.js';
import { DeliveryError, type Channel, type DeliverOptions, type Notification } from './types.js';

export interface HttpChannelOptions {
  kind: 'slack' | 'teams' | 'discord' | 'webhook';
  name: string;
  url: string;
  /** Extra request headers (values may be secrets; they are listed in `secrets`). */
  headers: Record<string, string>;
  payload: (n: Notification) => unknown;
  timeoutMs: number;
  retries: number;
  accepts: (n: Notification) => boolean;
  transport: HttpTransport;
  now: () => number;
  secrets: string[];
}

const MAX_RESPONSE_BYTES = 256 * 1024;

export function createHttpChannel(o: HttpChannelOptions): Channel {
  return {
    name: o.name,
    kind: o.kind,
    retries: o.retries,
    secrets: o.secrets,
    accepts: o.accepts,
    async deliver(n: Notification, opts: DeliverOptions): Promise<void> {
      let status: number;
      let body: string;
      let headers: Record<string, string | string[] | undefined>;
      try {
        const res = await o.transport.request({
          method: 'POST',
          url: o.url,
          headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'flightdeck-notify', ...o.headers },
          body: JSON.stringify(o.payload(n)),
          timeoutMs: o.timeoutMs,
          maxBytes: MAX_RESPONSE_BYTES,
          signal: opts.signal,
        });
        ({ status, body, headers } = res);
      } catch (err) {
        throw toDeliveryError(err);
      }
      if (status >= 200 && status < 300) return;
      const snippet = body.replace(/\s+/g, ' ').trim().slice(0, 200);
      const message = `HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
      if (status === 429 || status === 503) throw new DeliveryError(message, true, parseRetryAfter(headers['retry-after'], o.now()));
      if (status === 408 || status >= 500) throw new DeliveryError(message, true);
      throw new DeliveryError(message, false);
    },
    async close() {
      // The transport is shared and closed by the dispatcher.
    },
  };
}

function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof HttpError) {
    if (err.kind === 'aborted') return new DeliveryError(err.message, false);
    if (err.kind === 'too_large') return new DeliveryError(err.message, false);
    return new DeliveryError(err.message, true);
  }
  return new DeliveryError(err instanceof Error ? err.message : String(err), true);
}
