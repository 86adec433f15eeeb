import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseDateTime } from '../src/api/date-time.js';
import { compileStrict } from '../src/api/validation.js';
import { checkJsonValue, MAX_JSON_DEPTH } from '../src/api/json-body.js';
import { schemaSafetyProblems, unsafePatternReason } from '../src/api/schema-safety.js';
import { gateWaitMs, MAX_GATE_WAIT_MS, WebhookGates } from '../src/engine/webhook-gate.js';
import { HeraldError } from '../src/errors.js';
import { RANGES } from '../src/policy/ranges.js';

describe('input bounds (pure)', () => {
  test('a rate of 1e-7 a second makes the gate wait at most MAX_GATE_WAIT_MS, never a 1 ms timer (TimeoutOverflowWarning loop)', async () => {
    assert.equal(gateWaitMs(0, 1e-7), MAX_GATE_WAIT_MS);
    assert.equal(gateWaitMs(0.5, 1), 500);
    assert.equal(gateWaitMs(0.9999999, 1e6), 1);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const gates = new WebhookGates();
    let started = 0;
    try {
      // A webhook stored before the range existed: the first start takes the token, the second waits.
      gates.submit('wh_slow', { maxInFlight: null, ratePerSec: 1e-7 }, () => started++);
      gates.submit('wh_slow', { maxInFlight: null, ratePerSec: 1e-7 }, () => started++);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(started, 1);
      assert.equal(gates.waiting, 1);
      assert.deepEqual(warnings.filter((n) => n === 'TimeoutOverflowWarning'), []);
    } finally {
      gates.clear();
      process.off('warning', onWarning);
    }
  });

  test('date-times read alike: leap seconds, offsets with and without a colon, lower case, a space, fractions', () => {
    assert.equal(parseDateTime('2016-12-31T23:59:60Z'), Date.UTC(2016, 11, 31, 23, 59, 59, 999));
    assert.equal(parseDateTime('2016-12-31T23:59:60.5Z'), Date.UTC(2016, 11, 31, 23, 59, 59, 999));
    assert.equal(parseDateTime('2020-01-01T05:30:00+05:30'), Date.UTC(2020, 0, 1));
    assert.equal(parseDateTime('2020-01-01T05:30:00+0530'), Date.UTC(2020, 0, 1));
    assert.equal(parseDateTime('2019-12-31 19:00:00-05:00'), Date.UTC(2020, 0, 1));
    assert.equal(parseDateTime('2020-01-01t00:00:00.123456789z'), Date.UTC(2020, 0, 1, 0, 0, 0, 123));
    assert.equal(parseDateTime('0050-06-01T00:00:00Z'), new Date('0050-06-01T00:00:00Z').getTime());
    assert.equal(parseDateTime('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
    for (const bad of ['2023-02-29T00:00:00Z', '2020-13-01T00:00:00Z', '2020-01-01T24:00:00Z', '2020-01-01T00:00:00', '2020-01-01', '2020-01-01T00:00:61Z', '2020-01-01T00:00:00+24:00']) {
      assert.equal(parseDateTime(bad), null, bad);
    }
    // Schemas read date-times the same way, formatMinimum included.
    const after2020 = compileStrict({ type: 'string', format: 'date-time', formatMinimum: '2020-01-01T00:00:00Z' });
    assert.deepEqual(['2016-12-31T23:59:60Z', '2019-12-31T23:00:00-02:00', '2020-01-01T05:29:59+05:30', 'garbage'].map((s) => after2020(s)), [false, true, false, false]);
  });

  test('unsafe patterns are named; ordinary ones pass', () => {
    for (const p of ['^(a+)+$', '(a*)*', '(?:x{2,})+', '^(a|ab)*$', '(\\w+\\s?)*$', '(a)\\1', '(a?){30}', '^(?:[a-z]{2})*$', '(?<n>a)\\k<n>', 'x'.repeat(1001)]) {
      assert.ok(unsafePatternReason(p), p);
    }
    for (const p of ['^[a-z0-9_-]{1,64}$', '^(foo|bar)-\\d+$', '^\\S+@\\S+$', '^(ab)+$', '[(+)]+', '^\\d{3}(-\\d{4})?$', '(a+)?b', '^(?:ab){1,5}$']) {
      assert.equal(unsafePatternReason(p), null, p);
    }
    assert.deepEqual(schemaSafetyProblems({ properties: { a: { pattern: '(a+)+' } }, patternProperties: { '^(b*)*$': {} } }).map((p) => p.path).sort(), [
      '/patternProperties/^(b*)*$',
      '/properties/a/pattern',
    ]);
  });

  test('uniqueItems is refused unless the items are scalars (ajv compares every pair of objects)', () => {
    assert.equal(schemaSafetyProblems({ type: 'array', uniqueItems: true, items: { type: 'object' } })[0]?.path, '/uniqueItems');
    assert.equal(schemaSafetyProblems({ type: 'array', uniqueItems: true })[0]?.path, '/uniqueItems');
    assert.deepEqual(schemaSafetyProblems({ type: 'array', uniqueItems: true, items: { type: 'string' } }), []);
    assert.deepEqual(schemaSafetyProblems({ type: 'array', uniqueItems: false, items: { type: 'object' } }), []);
  });

  test('the JSON walk keeps __proto__ as data, and refuses NUL and excess depth with a path', () => {
    const value = JSON.parse('{"__proto__":{"a":1},"constructor":{"prototype":{}}}') as Record<string, unknown>;
    checkJsonValue(value);
    assert.ok(Object.hasOwn(value, '__proto__'));
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    const nul = () => checkJsonValue({ a: [{ 'b/c': 'x\u0000' }] });
    assert.throws(nul, (e: HeraldError) => e.code === 'HERALD_NUL_CHARACTER' && (e.details as { path: string }).path === '/a/0/b~1c');
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
    checkJsonValue(deep);
    assert.throws(() => checkJsonValue([deep]), (e: HeraldError) => e.code === 'HERALD_JSON_TOO_DEEP');
  });

  test('docs/webhooks.md lists every range of policy/ranges.ts with its bounds', () => {
    const doc = readFileSync(new URL('../../../docs/webhooks.md', import.meta.url), 'utf8');
    for (const [name, r] of Object.entries(RANGES)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      assert.ok(row, `docs/webhooks.md has no row for ${name}`);
      const cells = row.split('|').map((c) => c.trim());
      assert.equal(Number(cells[2]!.replace(/[_,]/g, '')), r.min, `${name} min`);
      assert.equal(Number(cells[3]!.replace(/[_,]/g, '')), r.max, `${name} max`);
    }
  });
});
