// Statement counter for PostgreSQL. pg_stat_statements is available on this server but not
// in shared_preload_libraries, and loading it needs a server restart, which the bench must not
// do. So statements are counted on the wire instead: Herald connects through this TCP proxy
// (a child process), which forwards bytes unchanged in both directions and parses the
// frontend messages it sees:
//   'Q' simple query: each ';'-separated statement in the text counts
//   'P' parse:  remembers the statement text by name
//   'B' bind:   maps a portal to a prepared statement
//   'E' execute: one statement executed (counted under the statement's first keyword)
// SSL/GSS negotiation requests are answered 'N' so the session stays readable.
// The proxy is only used in a dedicated run (its own CPU would skew throughput figures).
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { HOST, PG_PORT } from './constants.mjs';
import { forkTracked } from './children.mjs';
import { isMain, ready, request, serveIpc, waitReady } from './ipc.mjs';

// ---------------------------------------------------------------- parent side

export async function startPgProxy({ name = 'pg-proxy' } = {}) {
  const child = forkTracked(fileURLToPath(import.meta.url), [], { name });
  const { port } = await waitReady(child);
  return {
    child,
    port,
    reset: () => request(child, 'reset'),
    stats: () => request(child, 'stats'),
  };
}

// ---------------------------------------------------------------- child side

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

function verbOf(sql) {
  const m = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(sql);
  return m ? m[1].toUpperCase() : 'OTHER';
}

function splitStatements(sql) {
  // Good enough for the SQL a server sends: drop comments, split on ';' outside quotes.
  sql = sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const out = [];
  let cur = '';
  let q = null;
  for (const ch of sql) {
    if (q) {
      if (ch === q) q = null;
    } else if (ch === "'" || ch === '"') q = ch;
    else if (ch === ';') {
      if (cur.trim()) out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

function main() {
  let counts = {};
  let total = 0;
  let roundTrips = 0; // Sync ('S') + simple Query ('Q'): client waits for the server at most this often
  let connections = 0;
  const samples = new Map(); // verb -> first few statement texts (for the report)

  const count = (sql) => {
    const v = verbOf(sql);
    counts[v] = (counts[v] ?? 0) + 1;
    total++;
    const arr = samples.get(v) ?? [];
    if (arr.length < 5 && !arr.includes(sql)) {
      arr.push(sql.replace(/\s+/g, ' ').slice(0, 200));
      samples.set(v, arr);
    }
  };

  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(PG_PORT, HOST);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const stmts = new Map(); // prepared statement name -> sql
    const portals = new Map(); // portal -> sql
    let buf = Buffer.alloc(0);
    let startup = true;

    const parse = () => {
      for (;;) {
        if (startup) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          const msg = buf.subarray(0, len);
          buf = buf.subarray(len);
          if (code === SSL_REQUEST || code === GSS_REQUEST) {
            client.write('N');
            continue; // startup message follows
          }
          upstream.write(msg);
          startup = false;
          continue;
        }
        if (buf.length < 5) return;
        const type = String.fromCharCode(buf[0]);
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) return;
        const msg = buf.subarray(0, 1 + len);
        buf = buf.subarray(1 + len);
        const body = msg.subarray(5);
        if (type === 'Q') {
          roundTrips++;
          const sql = body.toString('utf8', 0, body.indexOf(0));
          for (const s of splitStatements(sql)) count(s);
        } else if (type === 'P') {
          const z1 = body.indexOf(0);
          const name = body.toString('utf8', 0, z1);
          const z2 = body.indexOf(0, z1 + 1);
          stmts.set(name, body.toString('utf8', z1 + 1, z2));
        } else if (type === 'B') {
          const z1 = body.indexOf(0);
          const portal = body.toString('utf8', 0, z1);
          const z2 = body.indexOf(0, z1 + 1);
          const stmt = body.toString('utf8', z1 + 1, z2);
          portals.set(portal, stmts.get(stmt) ?? '');
        } else if (type === 'E') {
          const portal = body.toString('utf8', 0, body.indexOf(0));
          count(portals.get(portal) ?? '');
        } else if (type === 'S') {
          roundTrips++;
        }
        upstream.write(msg);
      }
    };

    client.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      parse();
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });

  serveIpc({
    reset() {
      counts = {};
      total = 0;
      roundTrips = 0;
      samples.clear();
      return true;
    },
    stats() {
      return { total, roundTrips, connections, byVerb: counts, samples: Object.fromEntries(samples) };
    },
  });
  server.listen(0, HOST, () => ready({ port: server.address().port }));
}

if (isMain(import.meta.url)) main();
