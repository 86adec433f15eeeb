import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRetryAfter } from '../src/outbound/http-sender.js';
import { PRESETS } from '../src/policy/presets.js';
import { isSuccess, resolvePolicy, retryDelay } from '../src/policy/resolve.js';

const salesiq = PRESETS.salesiq.policy;
const standard = PRESETS.standard.policy;

test('retry delays follow the schedule exactly on the seed presets, then stop', () => {
  assert.deepEqual([1, 2, 3].map((n) => retryDelay(salesiq, n, 1)), [60_000, 60_000, 60_000]);
  assert.equal(retryDelay(salesiq, 4, 1), null, 'seed 001: three retries, then the delivery fails');
  const di = PRESETS['dialog-insight'].policy;
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay(di, n, 1)), [60_000, 900_000, 1_800_000, 3_600_000]);
  assert.equal(retryDelay(di, 5, 1), null, 'seed 004: five attempts in all');
});

test('jitter spreads the standard schedule by at most ±20 %, and the clock scale divides it', () => {
  assert.equal(retryDelay(standard, 1, 1, null, () => 0), 4000);
  assert.equal(retryDelay(standard, 1, 1, null, () => 1), 6000);
  assert.equal(retryDelay(standard, 1, 1, null, () => 0.5), 5000);
  assert.equal(retryDelay(standard, 2, 1000, null, () => 0.5), 300, '5 m / 1000');
});

test('Retry-After is honoured within [scheduled delay, twice the delay]', () => {
  assert.equal(retryDelay(salesiq, 1, 1, 90_000), 90_000);
  assert.equal(retryDelay(salesiq, 1, 1, 10_000), 60_000, 'never sooner than the schedule');
  assert.equal(retryDelay(salesiq, 1, 1, 3_600_000), 120_000, 'never later than twice the schedule');
  assert.equal(parseRetryAfter('120'), 120_000);
  assert.equal(parseRetryAfter('soon'), null);
  const inAMinute = new Date(Date.now() + 60_000).toUTCString();
  assert.ok(Math.abs(parseRetryAfter(inAMinute)! - 60_000) < 2000);
});

test('success rules: status classes, exact statuses, exact bodies byte for byte', () => {
  assert.equal(isSuccess(standard.success, 204, ''), true);
  assert.equal(isSuccess(standard.success, 302, ''), false);
  assert.equal(isSuccess(PRESETS['dialog-insight'].policy.success, 201, ''), false, 'seed 004: only 200');
  const smart = PRESETS.smarterbot.policy.success;
  assert.equal(isSuccess(smart, 200, '{"status":"success"}'), true);
  assert.equal(isSuccess(smart, 200, '{"status":"Success: test request received"}'), true);
  assert.equal(isSuccess(smart, 200, '{"status":"Success"}'), false, 'case-sensitive');
  assert.equal(isSuccess(smart, 200, '{"status": "success"}'), false, 'byte for byte');
  assert.equal(isSuccess(smart, 500, '{"status":"success"}'), false);
});

test('a webhook overrides its preset field by field', () => {
  const p = resolvePolicy('salesiq', { timeout_ms: 2000, retry_schedule: ['10s'] });
  assert.equal(p.timeout_ms, 2000);
  assert.deepEqual(p.retry_schedule_ms, [10_000]);
  assert.deepEqual(p.success, salesiq.success);
  const noBodies = resolvePolicy('smarterbot', { success: { bodies: null } });
  assert.equal(noBodies.success.bodies, undefined);
});
