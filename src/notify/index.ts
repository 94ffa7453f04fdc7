/** Notifications: Slack, Teams, Discord, webhook, email and file channels behind one dispatcher. */
export { createNotifier, type Notifier, type NotifierOptions } from './dispatcher.js';
export { NotifierConfigError } from './config.js';
export { newNotification } from './notification.js';
export { redactUrl } from './redact.js';
export { backoffDelay, parseRetryAfter, BACKOFF_BASE_MS, BACKOFF_CAP_MS, RETRY_AFTER_CAP_MS } from './retry.js';
export { DEFAULT_GROUP_WINDOW_MS, groupKey } from './group.js';
export { slackPayload } from './slack.js';
export { teamsPayload } from './teams.js';
export { discordPayload, DISCORD_COLOR } from './discord.js';
export { webhookPayload } from './webhook.js';
export { emailMessage } from './email.js';
export { plainText } from './format.js';
export {
  SEVERITIES,
  type DeliveryEvent,
  type DeliveryEventType,
  type Notification,
  type NotificationEvent,
  type NotificationGate,
  type Severity,
} from './types.js';
