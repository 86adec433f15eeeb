#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test with Node's own test runner (TypeScript through tsx).
// Node 20's --test takes no globs, so the files are found here.
// Usage: node scripts/run-tests.mjs [substring filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { checkTestServices } from './check-test-services.mjs';

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) findTests(full, out);
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [];
for (const pkg of readdirSync('packages')) {
  try {
    findTests(join('packages', pkg, 'test'), files);
  } catch {
    // a package without tests
  }
}
const chosen = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (chosen.length === 0) {
  console.error('No test files matched; nothing ran. Check the filter or add tests under packages/*/test.');
  process.exit(1);
}
const problems = await checkTestServices(chosen);
if (problems.length > 0) {
  console.error(`The tests cannot run on this machine yet:\n\n${problems.map((p) => `- ${p}`).join('\n\n')}\n`);
  process.exit(1);
}
console.log(`Running ${chosen.length} test files with node --test`);
const child = spawn(
  process.execPath,
  // --test-force-exit: a file whose setup failed half-way (a receiver started, Herald not) ends
  // when its tests have, instead of hanging on the handles its after() hook could not close.
  ['--import', 'tsx', '--test', '--test-force-exit', '--test-concurrency=2', '--test-reporter=spec', ...chosen],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
