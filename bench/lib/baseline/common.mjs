// What the DIY baseline shares between its ingest server, its filler and its worker:
// the job options a team would typically pick, and a Standard-Webhooks-style signature so the
// baseline does the same per-delivery crypto work as Herald's default signing.
import crypto from 'node:crypto';

export const JOB_NAME = 'webhook';

export const JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: true,
  removeOnFail: 10000,
};

const SECRET = crypto.createHash('sha256').update('herald-bench-baseline-secret').digest();

export function signedRequest(jobId, data, attempt, orgId = 'bench') {
  const now = Date.now();
  const body = JSON.stringify({
    version: '1',
    event: data.event,
    event_time: now,
    org_id: orgId,
    attempt,
    entity_type: data.entity_type ?? null,
    entity_id: data.entity_id ?? null,
    entity: data.entity,
    modified_fields: data.modified_fields ?? [],
  });
  const msgId = `msg_${jobId}`;
  const ts = Math.floor(now / 1000).toString();
  const sig = crypto.createHmac('sha256', SECRET).update(`${msgId}.${ts}.${body}`).digest('base64');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': msgId,
      'webhook-timestamp': ts,
      'webhook-signature': `v1,${sig}`,
    },
  };
}
