/** Notifications: Slack, Teams, Discord, webhook, email and file channels behind one dispatcher. */
export { createNotifier, type Notifier, type NotifierOptions } from './dispatcher.js';
export { NotifierConfigError } from './config.js';
export type { DeliveryEvent, DeliveryEventType, Notification, NotificationEvent, NotificationGate, Severity } from './types.js';
