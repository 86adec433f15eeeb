import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

/** Certificates made for one test file with the openssl command, in a temporary folder. */
export interface TestPki {
  dir: string;
  /** A CA's certificate file (PEM) and text. */
  caFile: string;
  ca: string;
  /** A server certificate for 127.0.0.1 signed by the CA. */
  server: { cert: string; key: string };
  /** A self-signed server certificate for 127.0.0.1 (no CA), and its file. */
  selfSigned: { cert: string; key: string; file: string };
  /** Client certificates signed by the CA. */
  client: { cert: string; key: string; encryptedKey: string; keyPassphrase: string; pfx: string; pfxPassphrase: string };
  otherClient: { cert: string; key: string };
  /** A client certificate whose validity ended before it began. */
  expired: { cert: string; key: string };
  /** A PKCS#12 file with RC2-40 style legacy encryption, or null when this openssl cannot make one. */
  legacyPfx: string | null;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe', timeout: 20_000 });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'herald-pki-'));
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Herald Test CA'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const signed = (name: string, subj: string, days: string, ext?: string) => {
    openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', days,
      ...(ext ? ['-extfile', ext] : [])], dir);
  };
  signed('server', '/CN=127.0.0.1', '30', 'server.ext');
  signed('client', '/CN=herald-client/O=Acme', '30');
  signed('other', '/CN=other-client/O=Acme', '30');
  signed('expired', '/CN=expired-client', '-1');
  openssl(['req', '-x509', ...EC, '-keyout', 'self.key', '-out', 'self.pem', '-days', '30', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], dir);
  openssl(['pkey', '-in', 'client.key', '-aes-256-cbc', '-passout', 'pass:key-pass', '-out', 'client-enc.key'], dir);
  openssl(['pkcs12', '-export', '-inkey', 'client.key', '-in', 'client.pem', '-passout', 'pass:pfx-pass', '-out', 'client.pfx'], dir);
  let legacyPfx: string | null = null;
  try {
    openssl(['pkcs12', '-export', '-legacy', '-inkey', 'client.key', '-in', 'client.pem', '-passout', 'pass:pfx-pass', '-out', 'legacy.pfx'], dir);
    legacyPfx = readFileSync(join(dir, 'legacy.pfx')).toString('base64');
  } catch {
    // this openssl has no legacy provider: the test that needs it says so and skips
  }
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: read('ca.pem'),
    server: { cert: read('server.pem'), key: read('server.key') },
    selfSigned: { cert: read('self.pem'), key: read('self.key'), file: join(dir, 'self.pem') },
    client: {
      cert: read('client.pem'), key: read('client.key'), encryptedKey: read('client-enc.key'), keyPassphrase: 'key-pass',
      pfx: readFileSync(join(dir, 'client.pfx')).toString('base64'), pfxPassphrase: 'pfx-pass',
    },
    otherClient: { cert: read('other.pem'), key: read('other.key') },
    expired: { cert: read('expired.pem'), key: read('expired.key') },
    legacyPfx,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An HTTPS receiver on 127.0.0.1 that records the client certificate's CN of each request. */
export class TlsReceiver {
  readonly requests: { method: string; path: string; clientCn: string | null }[] = [];
  port = 0;

  private constructor(private readonly server: Server) {}

  static async start(opts: { cert: string; key: string; requireClientCertFrom?: string }): Promise<TlsReceiver> {
    const mtls = opts.requireClientCertFrom ? { ca: opts.requireClientCertFrom, requestCert: true, rejectUnauthorized: true } : {};
    let rx: TlsReceiver | null = null;
    const server = createServer({ cert: opts.cert, key: opts.key, ...mtls }, (req, res) => {
      req.resume();
      req.on('end', () => {
        const peer = (req.socket as TLSSocket).getPeerCertificate?.();
        const cn = peer && typeof peer.subject?.CN === 'string' ? peer.subject.CN : null;
        rx!.requests.push({ method: req.method ?? '', path: req.url ?? '', clientCn: cn });
        res.end('ok');
      });
    });
    rx = new TlsReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    rx.port = (server.address() as AddressInfo).port;
    return rx;
  }

  url(path = '/hook'): string {
    return `https://127.0.0.1:${this.port}${path}`;
  }

  get posts() {
    return this.requests.filter((r) => r.method === 'POST');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
