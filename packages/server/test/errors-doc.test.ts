import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS } from '../src/errors.js';

test('docs/errors.md lists every error code with its status, and nothing else', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `(HERALD_[A-Z0-9_]+)` \| (\d{3}) \|/gm)) rows.set(m[1]!, Number(m[2]));
  for (const [code, { status }] of Object.entries(ERRORS)) {
    assert.equal(rows.get(code), status, `${code} (${status}) missing or with another status in docs/errors.md`);
  }
  for (const code of rows.keys()) assert.ok(code in ERRORS, `docs/errors.md lists ${code}, which the code does not have`);
});

test('every HERALD_ code the HTTP layer names is registered, including the framework and HTTP-parser mappings', () => {
  // A code written as text where no type checks it (a raw socket answer, a comparison in a
  // hook) could drift from the registry; this reads every quoted HERALD_ code in the files
  // that answer requests. The error mappers must be among them.
  const root = new URL('../src/', import.meta.url);
  const files = ['api', 'services']
    .flatMap((dir) => readdirSync(new URL(`${dir}/`, root), { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f}`))
    .filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('api/http-errors.ts') && files.includes('api/json-body.ts'));
  const named = new Set<string>();
  for (const f of files) for (const m of readFileSync(new URL(f, root), 'utf8').matchAll(/['"`](HERALD_[A-Z0-9_]*[A-Z0-9])['"`]/g)) named.add(m[1]!);
  for (const code of named) assert.ok(code in ERRORS, `${code} is named in packages/server/src but not registered in errors.ts`);
  const frameworkCodes = ['HERALD_PATH_MALFORMED', 'HERALD_PATH_TOO_LONG', 'HERALD_HEADERS_TOO_LARGE', 'HERALD_HTTP_MALFORMED', 'HERALD_REQUEST_TIMEOUT', 'HERALD_NUL_CHARACTER', 'HERALD_JSON_TOO_DEEP', 'HERALD_SHUTTING_DOWN'];
  for (const code of frameworkCodes) assert.ok(named.has(code), `${code} is registered for a framework or parser error but nothing answers it`);
});
