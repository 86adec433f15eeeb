// What the test files need from the machine, checked once before any of them runs, so that a
// missing PostgreSQL or Chromium fails in seconds with the command that fixes it instead of
// hanging a test file or failing it test by test.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import pg from 'pg';

export const PG_URL = process.env.HERALD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';

function where(url) {
  try {
    const u = new URL(url);
    return { host: u.hostname || '127.0.0.1', port: u.port || '5432', user: decodeURIComponent(u.username) || 'postgres', db: u.pathname.slice(1) || 'postgres' };
  } catch {
    return { host: '127.0.0.1', port: '5432', user: 'postgres', db: 'test' };
  }
}

/** Null when PostgreSQL answers at PG_URL and its database exists; else what to do. */
async function checkPostgres() {
  const w = where(PG_URL);
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    const code = err.code ?? '';
    const shown = PG_URL.replace(/:[^:@/]*@/, ':***@');
    if (code === '3D000') {
      return `PostgreSQL answers at ${w.host}:${w.port} but has no database "${w.db}". Create it:\n` +
        `    createdb -h ${w.host} -p ${w.port} -U ${w.user} ${w.db}\n` +
        `  (or: psql -h ${w.host} -p ${w.port} -U ${w.user} -d postgres -c 'create database ${w.db}')`;
    }
    if (code === '28P01' || code === '28000') {
      return `PostgreSQL at ${w.host}:${w.port} refused user "${w.user}" (${err.message}). The tests connect without a password:\n` +
        `  allow it (trust for 127.0.0.1 in pg_hba.conf), or set HERALD_TEST_PG_URL=postgres://user:password@${w.host}:${w.port}/${w.db}`;
    }
    return `PostgreSQL does not answer at ${shown} (${code || err.message}). The tests need it, with a database "${w.db}":\n` +
      `    apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -n 1) main start\n` +
      `    createdb -h ${w.host} -p ${w.port} -U ${w.user} ${w.db}\n` +
      `  (.ci/run does all of this; HERALD_TEST_PG_URL points the tests at another server)`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function checkChromium() {
  if (existsSync(CHROMIUM)) return null;
  return `Chromium is not at ${CHROMIUM}; the dashboard's browser tests drive it. Install it:\n` +
    `    apt-get install -y chromium\n` +
    `  (or set HERALD_CHROMIUM to a Chromium binary)`;
}

/** The brokers the destination tests publish to, each a TCP port on 127.0.0.1. */
const BROKERS = [
  { name: 'RabbitMQ', port: 5672 },
  { name: 'NATS (with JetStream)', port: 4222 },
  { name: 'Redis', port: 6379 },
];

function answers(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 2000 });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function checkBrokers() {
  const missing = [];
  for (const b of BROKERS) if (!(await answers(b.port))) missing.push(`${b.name} on 127.0.0.1:${b.port}`);
  if (missing.length === 0) return null;
  return `The destination tests publish to real brokers; not answering: ${missing.join(', ')}. Start them:\n` +
    '    bash .ci/brokers.sh   (installs and starts RabbitMQ, NATS with JetStream and Redis when they do not answer)';
}

/**
 * Checks what the chosen test files need: PostgreSQL for the server's and the dashboard's
 * tests (the dashboard starts a Herald), Chromium for the dashboard's. Answers the problems.
 */
export async function checkTestServices(files) {
  const problems = [];
  const needsPg = files.some((f) => /packages[\\/](server|dashboard)[\\/]/.test(f));
  const needsChromium = files.some((f) => /packages[\\/]dashboard[\\/]/.test(f));
  if (needsPg) {
    const p = await checkPostgres();
    if (p) problems.push(p);
  }
  if (needsChromium) {
    const c = checkChromium();
    if (c) problems.push(c);
  }
  if (files.some((f) => /destinations/.test(f))) {
    const b = await checkBrokers();
    if (b) problems.push(b);
  }
  return problems;
}
