import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runFuzz } from './helpers/fuzz-run.js';
import { TestHerald } from './helpers/herald.js';
import { TestReceiver } from './helpers/receiver.js';
import { STORE_KINDS } from './helpers/stores.js';

/**
 * Seeded API fuzzing: hostile input (NUL, huge numbers, deep nesting, wrong types, long
 * strings, proto keys, bad encodings, empty JSON bodies, broken framing) to every operation
 * of /openapi.json on both stores. Fails on any 5xx, any error without a registered code, and
 * any change to stored state by a refused request. Small here; `npm run fuzz -- --count 5000`
 * for a long run. Replay a failure with HERALD_FUZZ_SEED=<the printed seed>.
 */
const seed = process.env.HERALD_FUZZ_SEED ? Number(process.env.HERALD_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const count = process.env.HERALD_FUZZ_COUNT ? Number(process.env.HERALD_FUZZ_COUNT) : 250;
const kinds = process.env.HERALD_FUZZ_STORE ? STORE_KINDS.filter((k) => k === process.env.HERALD_FUZZ_STORE) : STORE_KINDS;

for (const kind of kinds) {
  describe(`API fuzz (${kind})`, () => {
    let h: TestHerald;
    let receiver: TestReceiver;
    before(async () => {
      // role api: no delivery engine, so only requests change stored state.
      h = await TestHerald.start(kind, { role: 'api', bodyLimit: 64 * 1024 });
      receiver = await TestReceiver.start();
    });
    after(async () => {
      await h.stop();
      await receiver.close();
    });

    test(`${count} hostile requests (seed ${seed}) answer 4xx in Herald's form and change nothing`, { timeout: Math.max(60_000, count * 500) }, async () => {
      console.log(`fuzz ${kind}: seed ${seed}, ${count} requests (HERALD_FUZZ_SEED=${seed} to replay)`);
      const r = await runFuzz(h, { seed, count, receiverUrl: receiver.url() });
      console.log(`fuzz ${kind}: ${r.sent} sent, ${r.refused} refused, ${r.accepted} accepted`);
      assert.deepEqual(r.failures, [], `seed ${seed}`);
      assert.ok(r.sent >= count * 0.9, 'almost every request reached the server');
      assert.ok(r.refused >= r.sent / 4, 'a good share of the requests were hostile enough to be refused');
    });
  });
}
