/** Generic webhook: the notification itself as JSON, with a version tag receivers can switch on. */
import type { Notification } from './types.js';

export interface WebhookPayload extends Notification {
  schema: 'flightdeck.notification/v1';
}

export function webhookPayload(n: Notification): WebhookPayload {
  return { schema: 'flightdeck.notification/v1', ...n };
}
