import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkDelivery, nextDigestAt, type DigestDelivery } from '../src/policy/digest-schedule.js';

const T = (iso: string) => Date.parse(iso);
const ISO = (ms: number) => new Date(ms).toISOString();

describe('digest periods', () => {
  test('every: fixed intervals counted from the anchor; a boundary itself belongs to the period it closes', () => {
    const anchor = T('2025-01-10T09:17:00Z');
    const hourly: DigestDelivery = { mode: 'digest', every: '1h' };
    assert.equal(ISO(nextDigestAt(hourly, anchor, anchor)), '2025-01-10T10:17:00.000Z');
    assert.equal(ISO(nextDigestAt(hourly, anchor, T('2025-01-10T10:17:00Z'))), '2025-01-10T11:17:00.000Z');
    assert.equal(ISO(nextDigestAt(hourly, anchor, T('2025-01-12T00:00:00Z'))), '2025-01-12T00:17:00.000Z', 'after downtime: the next end, not a backlog of ends');
    assert.equal(ISO(nextDigestAt({ mode: 'digest', every: '15m' }, anchor, anchor)), '2025-01-10T09:32:00.000Z');
  });

  test('daily at a local time, default UTC, across daylight-saving changes', () => {
    const anchor = T('2024-01-01T00:00:00Z');
    const paris: DigestDelivery = { mode: 'digest', every: '1d', at: '02:00', timezone: 'Europe/Paris' };
    assert.equal(ISO(nextDigestAt(paris, anchor, T('2024-01-15T12:00:00Z'))), '2024-01-16T01:00:00.000Z', 'winter: UTC+1');
    assert.equal(ISO(nextDigestAt(paris, anchor, T('2024-07-15T12:00:00Z'))), '2024-07-16T00:00:00.000Z', 'summer: UTC+2');
    assert.equal(ISO(nextDigestAt(paris, anchor, T('2024-07-16T00:00:00Z'))), '2024-07-17T00:00:00.000Z');
    const half: DigestDelivery = { mode: 'digest', every: '1d', at: '02:30', timezone: 'Europe/Paris' };
    assert.equal(ISO(nextDigestAt(half, anchor, T('2024-03-30T12:00:00Z'))), '2024-03-31T01:30:00.000Z', 'a time that does not exist: one hour later (03:30 CEST)');
    assert.equal(ISO(nextDigestAt(half, anchor, T('2024-10-26T12:00:00Z'))), '2024-10-27T01:30:00.000Z', 'a repeated time: its second occurrence (02:30 CET)');
    assert.equal(ISO(nextDigestAt({ mode: 'digest', every: '1d', at: '23:30' }, anchor, T('2024-12-31T23:30:00Z'))), '2025-01-01T23:30:00.000Z');
    const ny: DigestDelivery = { mode: 'digest', every: '1d', at: '23:30', timezone: 'America/New_York' };
    assert.equal(ISO(nextDigestAt(ny, anchor, T('2024-12-31T12:00:00Z'))), '2025-01-01T04:30:00.000Z');
  });

  test('HERALD_CLOCK_SCALE runs a faster clock from the anchor: 1h at 3600 is a second, a day at 86400 too', () => {
    const anchor = T('2024-03-30T10:00:00Z');
    assert.equal(nextDigestAt({ mode: 'digest', every: '1h' }, anchor, anchor, 3600) - anchor, 1000);
    const daily: DigestDelivery = { mode: 'digest', every: '1d', at: '02:00', timezone: 'Europe/Paris' };
    const ends: number[] = [];
    for (let t = anchor, i = 0; i < 4; i++) ends.push((t = nextDigestAt(daily, anchor, t, 86_400)) - anchor);
    // 10:00Z → 01:00Z next day is 15 h (625 ms); the spring-forward day lasts 23 h; then whole days.
    assert.deepEqual(ends, [625, 1584, 2584, 3584]);
  });

  test('cron digests fall on the expression in their time zone', () => {
    // Weekdays at 02:00 Paris time; after Friday 2026-11-27 10:00 UTC the next is Monday 30th 01:00 UTC.
    const d = { mode: 'digest' as const, cron: '0 2 * * 1-5', timezone: 'Europe/Paris' };
    const after = Date.UTC(2026, 10, 27, 10, 0);
    assert.equal(new Date(nextDigestAt(d, after - 1000, after)).toISOString(), '2026-11-30T01:00:00.000Z');
  });

  test('settings are checked and normalised; every problem is named', () => {
    assert.deepEqual(checkDelivery({ mode: 'digest' }), { delivery: { mode: 'digest', every: '1d' } });
    assert.deepEqual(checkDelivery({ mode: 'immediate' }), { delivery: { mode: 'immediate' } });
    assert.deepEqual(checkDelivery({ mode: 'digest', at: '02:00', timezone: 'Asia/Tokyo' }), {
      delivery: { mode: 'digest', every: '1d', at: '02:00', timezone: 'Asia/Tokyo' },
    });
    const bad = checkDelivery({ mode: 'digest', every: '1h', at: '24:00', timezone: 'Nowhere/Else' });
    assert.ok('problems' in bad);
    assert.equal(bad.problems.length, 3);
    assert.deepEqual(checkDelivery({ mode: 'digest', cron: '0 2 * * 1-5', timezone: 'Europe/Paris' }), {
      delivery: { mode: 'digest', cron: '0 2 * * 1-5', timezone: 'Europe/Paris' },
    });
    assert.ok('problems' in checkDelivery({ mode: 'digest', cron: '0 2 * *  nonsense' }));
    assert.ok('problems' in checkDelivery({ mode: 'digest', cron: '0 2 * * *', at: '02:00' }));
    assert.ok('problems' in checkDelivery({ mode: 'digest', every: '59s' }));
    assert.ok('problems' in checkDelivery({ mode: 'digest', every: '32d' }));
    assert.ok('problems' in checkDelivery({ mode: 'immediate', at: '02:00' }));
  });
});
