import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, TestHerald } from './helpers/herald.js';
import { STORE_KINDS } from './helpers/stores.js';
import { makePki, TlsReceiver, type TestPki } from './helpers/tls-certs.js';

const CERT_VIEW_KEYS = ['fingerprint_sha256', 'issuer', 'not_after', 'subject'];

for (const kind of STORE_KINDS) {
  describe(`mutual TLS: a client certificate per webhook (${kind})`, { timeout: 60_000 }, () => {
    let pki: TestPki;
    let rx: TlsReceiver;
    let h: TestHerald;
    before(async () => {
      pki = makePki();
      // The receiver demands a client certificate signed by the test CA; Herald trusts that CA for the server side.
      rx = await TlsReceiver.start({ ...pki.server, requireClientCertFrom: pki.ca });
      h = await TestHerald.start(kind, { trustedCaFile: pki.caFile });
      await h.api('POST', '/orgs', { id: 'acme', name: 'Acme', owner_email: 'o@acme.test' });
    });
    after(async () => {
      await h?.stop();
      await rx?.close();
      pki?.cleanup();
    });

    const deliver = async (webhookId: string, n: number) => {
      const ev = (await h.api('POST', '/orgs/acme/events', { event: 'mtls.e', entity: { n } })).body;
      return eventually(async () => {
        const list = (await h.api('GET', `/orgs/acme/webhooks/${webhookId}/deliveries?event_id=${ev.id}`)).body.data as { id: string; status: string }[];
        const d = list.find((x) => x.status !== 'pending');
        if (!d) return null;
        return (await h.api('GET', `/orgs/acme/deliveries/${d.id}`)).body;
      }, 10_000);
    };

    test('without a certificate the receiver refuses; with a PFX every attempt presents it; null removes it', async () => {
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/pfx'), events: ['mtls.e'], policy: { retry_schedule: [] } })).body;
      assert.equal(w.client_certificate, null);
      const refused = await h.api('POST', `/orgs/acme/webhooks/${w.id}/test`, { event: 'mtls.e', entity: {} });
      assert.equal(refused.body.succeeded, false);
      assert.ok(['tls', 'connection_reset'].includes(refused.body.error.code), JSON.stringify(refused.body.error));
      assert.equal(rx.posts.length, 0, 'the handshake failed before any request');

      const p = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { client_certificate: { pfx: pki.client.pfx, passphrase: pki.client.pfxPassphrase } });
      assert.equal(p.status, 200, JSON.stringify(p.body));
      assert.deepEqual(Object.keys(p.body.client_certificate).sort(), CERT_VIEW_KEYS);
      assert.match(p.body.client_certificate.subject, /CN=herald-client/);
      assert.match(p.body.client_certificate.issuer, /CN=Herald Test CA/);
      assert.ok(Date.parse(p.body.client_certificate.not_after) > Date.now());
      assert.match(p.body.client_certificate.fingerprint_sha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

      const d = await deliver(w.id, 1);
      assert.equal(d.status, 'succeeded', JSON.stringify(d.attempt_list));
      assert.equal(rx.posts.at(-1)?.clientCn, 'herald-client');
      const t = await h.api('POST', `/orgs/acme/webhooks/${w.id}/test`, { event: 'mtls.e', entity: {} });
      assert.equal(t.body.succeeded, true, 'test sends present the certificate too');

      // A replaced certificate is used at once (the pool of the old one is replaced).
      const other = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { client_certificate: pki.otherClient });
      assert.equal(other.status, 200, JSON.stringify(other.body));
      const d2 = await deliver(w.id, 2);
      assert.equal(d2.status, 'succeeded');
      assert.equal(rx.posts.at(-1)?.clientCn, 'other-client');

      const removed = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { client_certificate: null });
      assert.equal(removed.body.client_certificate, null);
      const again = await h.api('POST', `/orgs/acme/webhooks/${w.id}/trial`, { event: 'mtls.e', entity: {} });
      assert.equal(again.body.succeeded, false, 'without the certificate the receiver refuses again');
    });

    test('a PEM certificate and encrypted key with its passphrase work from creation on', async () => {
      const w = await h.api('POST', '/orgs/acme/webhooks', {
        url: rx.url('/pem'), events: ['mtls.pem'],
        client_certificate: { cert: pki.client.cert, key: pki.client.encryptedKey, passphrase: pki.client.keyPassphrase },
      });
      assert.equal(w.status, 201, JSON.stringify(w.body));
      assert.match(w.body.client_certificate.subject, /CN=herald-client/);
      await h.api('POST', '/orgs/acme/events', { event: 'mtls.pem', entity: { n: 1 } });
      const got = await eventually(async () => rx.posts.find((r) => r.path === '/pem'), 10_000);
      assert.equal(got.clientCn, 'herald-client');
    });

    test('unusable uploads are refused with a code, and change nothing', async () => {
      const w = (await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/bad'), events: ['mtls.bad'], client_certificate: pki.otherClient })).body;
      const count = async () => (await h.api('GET', '/orgs/acme/webhooks?limit=250')).body.data.length;
      const n = await count();
      const cases: [string, unknown][] = [
        ['HERALD_CLIENT_CERT_PASSPHRASE', { pfx: pki.client.pfx, passphrase: 'wrong' }],
        ['HERALD_CLIENT_CERT_PASSPHRASE', { pfx: pki.client.pfx }],
        ['HERALD_CLIENT_CERT_PASSPHRASE', { cert: pki.client.cert, key: pki.client.encryptedKey, passphrase: 'wrong' }],
        ['HERALD_CLIENT_CERT_INVALID', { pfx: Buffer.from('not a pkcs12 file at all').toString('base64') }],
        ['HERALD_CLIENT_CERT_INVALID', { pfx: 'this is not base64!' }],
        ['HERALD_CLIENT_CERT_INVALID', { cert: 'garbage', key: pki.client.key }],
        ['HERALD_CLIENT_CERT_INVALID', { cert: pki.client.cert, key: 'garbage' }],
        ['HERALD_CLIENT_CERT_MISMATCH', { cert: pki.client.cert, key: pki.otherClient.key }],
        ['HERALD_CLIENT_CERT_EXPIRED', pki.expired],
      ];
      for (const [code, cert] of cases) {
        const created = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/x'), events: ['x.y'], client_certificate: cert });
        assert.equal(created.status, 422, `${code}: ${JSON.stringify(created.body)}`);
        assert.equal(created.body.error.code, code);
        const patched = await h.api('PATCH', `/orgs/acme/webhooks/${w.id}`, { client_certificate: cert, description: 'changed' });
        assert.equal(patched.body.error?.code, code);
      }
      const wrongShape = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/x'), events: ['x.y'], client_certificate: { cert: pki.client.cert } });
      assert.equal(wrongShape.body.error.code, 'HERALD_VALIDATION_FAILED', 'a PEM upload needs both cert and key');
      assert.equal(await count(), n, 'no webhook was created');
      const still = (await h.api('GET', `/orgs/acme/webhooks/${w.id}`)).body;
      assert.equal(still.description, '', 'no PATCH went through');
      assert.match(still.client_certificate.subject, /CN=other-client/);
    });

    test('a legacy-encrypted PFX (RC2-40, refused by OpenSSL 3) is explained at upload', async (t) => {
      if (pki.legacyPfx === null) return t.skip('this openssl cannot write legacy PKCS#12 files');
      const r = await h.api('POST', '/orgs/acme/webhooks', { url: rx.url('/x'), events: ['x.y'], client_certificate: { pfx: pki.legacyPfx, passphrase: pki.client.pfxPassphrase } });
      assert.equal(r.status, 422);
      assert.equal(r.body.error.code, 'HERALD_CLIENT_CERT_UNSUPPORTED');
      assert.match(r.body.error.message, /openssl pkcs12/);
    });

    test('stored sealed: the store holds no PEM, key or PFX text, only what the view shows in clear', async () => {
      const w = (await h.api('POST', '/orgs/acme/webhooks', {
        url: rx.url('/sealed'), events: ['x.y'], client_certificate: { pfx: pki.client.pfx, passphrase: pki.client.pfxPassphrase },
      })).body;
      const row = await h.herald.store.db.get<{ client_certificate: string; client_certificate_info: string }>(
        'SELECT client_certificate, client_certificate_info FROM webhooks WHERE id = ?', [w.id]);
      assert.ok(row);
      assert.match(row.client_certificate, /^hb1\./);
      for (const secret of ['BEGIN', pki.client.pfx.slice(0, 40), pki.client.pfxPassphrase]) {
        assert.ok(!row.client_certificate.includes(secret), `sealed column holds ${secret}`);
        assert.ok(!row.client_certificate_info.includes(secret), `info column holds ${secret}`);
      }
      assert.deepEqual(Object.keys(JSON.parse(row.client_certificate_info)).sort(), CERT_VIEW_KEYS);
      const listed = (await h.api('GET', '/orgs/acme/webhooks?limit=250')).body.data.find((x: { id: string }) => x.id === w.id);
      assert.ok(!JSON.stringify(listed).includes(pki.client.pfx.slice(0, 40)), 'the list never shows the upload');
    });
  });
}
