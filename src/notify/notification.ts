/** Building a Notification with an id and a time from the injected clock. */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Notification } from './types.js';

export type NotificationInput = Omit<Notification, 'id' | 'at'> & { id?: string; at?: number };

export function newNotification(input: NotificationInput, clock: Pick<Clock, 'now'>): Notification {
  return { ...input, id: input.id ?? randomUUID(), at: input.at ?? clock.now() };
}
