#!/usr/bin/env node
// The long API fuzz run: the same seeded test as `npm test` runs in a small size
// (packages/server/test/fuzz.test.ts), with more requests.
// Usage: node scripts/fuzz.mjs [--count 5000] [--seed N] [--store sqlite|postgres]
//        npm run fuzz -- --count 5000
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    seed: { type: 'string' },
    store: { type: 'string' },
  },
});
if (!/^\d+$/.test(values.count)) {
  console.error('--count takes a whole number of requests per store');
  process.exit(2);
}
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
const env = { ...process.env, HERALD_FUZZ_COUNT: values.count, HERALD_FUZZ_SEED: seed };
if (values.store) env.HERALD_FUZZ_STORE = values.store;
console.log(`fuzzing ${values.count} requests per store with seed ${seed}`);
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', 'packages/server/test/fuzz.test.ts'], { stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
