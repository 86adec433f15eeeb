/**
 * Who alert mail goes to: the org owner, the webhook's alert_emails, and the people who
 * created and last changed it. created_by / modified_by hold the actor: an API key id (whose
 * optional email is looked up at alert time) or `portal:<email>` for a portal link's user.
 */

const PORTAL_ACTOR = 'portal:';

/** The API key ids among actors (the ones whose email must be looked up). */
export function apiKeyActors(actors: readonly (string | null)[]): string[] {
  return [...new Set(actors.filter((a): a is string => a !== null && a !== '' && !a.startsWith(PORTAL_ACTOR)))];
}

/** The email of an actor: a portal user's own, an API key's when it has one, else null. */
export function actorEmail(actor: string | null, keyEmails: ReadonlyMap<string, string>): string | null {
  if (actor === null) return null;
  if (actor.startsWith(PORTAL_ACTOR)) {
    const email = actor.slice(PORTAL_ACTOR.length);
    return email.includes('@') ? email : null;
  }
  return keyEmails.get(actor) ?? null;
}

/** Recipients in order (owner, alert_emails, creator, modifier), each address once whatever its case. */
export function alertRecipients(
  ownerEmail: string,
  alertEmails: readonly string[],
  actors: readonly (string | null)[],
  keyEmails: ReadonlyMap<string, string>,
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of [ownerEmail, ...alertEmails, ...actors.map((a) => actorEmail(a, keyEmails))]) {
    const email = raw?.trim();
    if (!email) continue;
    const key = email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(email);
  }
  return out;
}
