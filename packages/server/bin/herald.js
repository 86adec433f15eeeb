#!/usr/bin/env node
// The `herald` command. Runs the compiled CLI; `npm install` at the repository root builds it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('herald: not built yet. Run "npm install" (or "npm run build") at the repository root first.\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// A failed start may leave handles open (a store thread); a failure must still end the process.
if (code > 0) process.exit(code);
if (code === 0) process.exitCode = 0;
