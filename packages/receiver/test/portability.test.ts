import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

// The library must run where only Web APIs exist (Workers, Deno, browsers): no Node modules,
// no Buffer or process, and no imports outside the package.
describe('receiver source uses Web APIs only', () => {
  const dir = join(import.meta.dirname, '..', 'src');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    it(file, () => {
      const text = readFileSync(join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      assert.doesNotMatch(text, /from\s+'node:|require\(|\bBuffer\b|\bprocess\./);
      for (const spec of text.matchAll(/from\s+'([^']+)'/g)) assert.match(spec[1] ?? '', /^\.\/[\w-]+\.js$/);
    });
  }
});
