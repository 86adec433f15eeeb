#!/usr/bin/env node
// Writes Herald's OpenAPI document (what GET /openapi.json answers) to a file, for the linter
// and for @herald/client's generated types. It builds a real Herald from the sources (through
// tsx: no build needed, never a stale one) on a throwaway SQLite file, so no PostgreSQL either.
// Usage: node --import tsx scripts/dump-openapi.mjs <out.json>
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeConfig, startHerald } from '../packages/server/src/index.ts';
import { createLogger } from '../packages/server/src/ops/logger.ts';

const out = process.argv[2];
if (!out) {
  console.error('usage: node --import tsx scripts/dump-openapi.mjs <out.json>');
  process.exit(2);
}
const dataDir = await mkdtemp(join(tmpdir(), 'herald-openapi-'));
const herald = await startHerald(
  makeConfig({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', role: 'api' }),
  { logger: createLogger('silent') },
);
try {
  const res = await fetch(`${herald.url}/openapi.json`);
  if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
  await writeFile(out, `${JSON.stringify(await res.json(), null, 2)}\n`);
} finally {
  await herald.close();
  await rm(dataDir, { recursive: true, force: true });
}
