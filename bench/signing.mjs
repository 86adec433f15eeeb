#!/usr/bin/env node
// Cost of signing one request per scheme (1 KB body, one key), as a table. Run after `npm run build`.
// Usage: node bench/signing.mjs
import { createSigner, generateKeyMaterial } from '../packages/server/dist/signing/index.js';

const body = JSON.stringify({ version: '1', event: 'conversation.created', entity: { pad: 'x'.repeat(900) } });
console.log('| scheme | per signature | signatures/s on one core |\n| --- | --- | --- |');
for (const scheme of ['standard', 'hmac-timestamp', 'hmac-sha256', 'standard-ed25519', 'rsa-sha256']) {
  const signer = createSigner(scheme, [generateKeyMaterial(scheme)]);
  for (let i = 0; i < 200; i++) signer.headers('msg_warmup', 1700000000, body);
  const n = scheme === 'rsa-sha256' ? 2000 : 20000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) signer.headers(`msg_${i}`, 1700000000 + i, body);
  const us = Number(process.hrtime.bigint() - started) / 1000 / n;
  console.log(`| \`${scheme}\` | ${us.toFixed(1)} µs | ${Math.round(1e6 / us).toLocaleString('en-US')} |`);
}
