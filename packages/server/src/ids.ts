import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

// ULIDs sort by creation time, so ids double as pagination cursors; the prefix tells
// a reader what an id names (as Stripe and Svix ids do).
const nextUlid = monotonicFactory();

export type IdPrefix = 'wh' | 'key' | 'evt' | 'msg' | 'att' | 'ak' | 'tok';

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${nextUlid(now).toLowerCase()}`;
}

/** An unguessable token (API keys, lease tokens). */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
