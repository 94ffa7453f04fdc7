/**
 * Email through SMTP (nodemailer): a subject that says severity, service and
 * what happened, and a plain-text body. Credentials come from env/file and
 * are resolved before this module sees them.
 */
import type { Transporter } from 'nodemailer';
import { plainText, SEVERITY_LABEL, truncate } from './format.js';
import { DeliveryError, type Channel, type DeliverOptions, type Notification } from './types.js';

export interface EmailMessage {
  subject: string;
  text: string;
}

export function emailMessage(n: Notification): EmailMessage {
  const subject = truncate(`[${SEVERITY_LABEL[n.severity]}] ${n.service}/${n.environment}${n.stage ? ` ${n.stage}` : ''}: ${n.title}`, 200);
  return { subject: subject.replace(/[\r\n]+/g, ' '), text: `${plainText(n)}\n\n-- \nSent by Flightdeck (notification ${n.id})\n` };
}

export interface EmailChannelOptions {
  name: string;
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  timeoutMs: number;
  retries: number;
  accepts: (n: Notification) => boolean;
  secrets: string[];
}

/** SMTP codes and nodemailer error codes that no retry will fix. */
const PERMANENT_CODES = new Set(['EAUTH', 'EENVELOPE', 'EMESSAGE', 'ECONFIG', 'EREQUIREDTLS']);

export function createEmailChannel(o: EmailChannelOptions): Channel {
  // nodemailer loads on the first email, not when every cockpit starts.
  let transporter: Transporter | null = null;
  const smtp = async (): Promise<Transporter> => (transporter ??= (await import('nodemailer')).default.createTransport({
    host: o.host,
    port: o.port,
    secure: o.secure,
    auth: o.user !== undefined && o.password !== undefined ? { user: o.user, pass: o.password } : undefined,
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  }));

  return {
    name: o.name,
    kind: 'email',
    retries: o.retries,
    secrets: o.secrets,
    accepts: o.accepts,
    async deliver(n: Notification, opts: DeliverOptions): Promise<void> {
      if (opts.signal.aborted) throw new DeliveryError('aborted', false);
      const msg = emailMessage(n);
      const sending = (await smtp()).sendMail({ from: o.from, to: o.to, subject: msg.subject, text: msg.text });
      // nodemailer takes no AbortSignal: stop waiting for it when asked (its own socket timeouts end it).
      const aborted = new Promise<never>((_, reject) => {
        opts.signal.addEventListener('abort', () => reject(new DeliveryError('aborted', false)), { once: true });
      });
      try {
        await Promise.race([sending, aborted]);
      } catch (err) {
        if (err instanceof DeliveryError) throw err;
        throw toDeliveryError(err);
      } finally {
        sending.catch(() => undefined);
        aborted.catch(() => undefined);
      }
    },
    async close() {
      transporter?.close();
    },
  };
}

function toDeliveryError(err: unknown): DeliveryError {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const responseCode = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const message = `SMTP ${code ?? 'error'}${responseCode ? ` ${responseCode}` : ''}: ${text.replace(/\s+/g, ' ').slice(0, 300)}`;
  // The server's reply code decides first: 4xx is temporary, 5xx permanent.
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return new DeliveryError(message, true);
  if (responseCode !== undefined && responseCode >= 500) return new DeliveryError(message, false);
  if (code && PERMANENT_CODES.has(code)) return new DeliveryError(message, false);
  return new DeliveryError(message, true);
}
