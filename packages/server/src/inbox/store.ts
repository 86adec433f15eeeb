/**
 * The inbox's durable queue: one SQLite file. A request is committed (WAL, synchronous=FULL,
 * so the commit is on disk) before the sender gets its 200, and stays in the file after it is
 * handed over: the rows are the log, and the unique request id keeps a retried request out.
 */
import Database from 'better-sqlite3';

export type InboxState = 'pending' | 'done' | 'failed';

export interface NewInboxRequest {
  /** The de-duplication id (`webhook-id`); null when the request carried none. */
  requestId: string | null;
  receivedAt: number;
  method: string;
  path: string;
  /** Name/value pairs exactly as received (Node's rawHeaders), repeats and case kept. */
  headers: [string, string][];
  body: Buffer;
}

export interface InboxRequest extends NewInboxRequest {
  seq: number;
  state: InboxState;
  attempts: number;
  nextAttemptAt: number;
}

export type InsertResult = { stored: true; seq: number } | { stored: false; seq: number };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS inbox_requests (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT UNIQUE,
  received_at INTEGER NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  done_at INTEGER
);
CREATE INDEX IF NOT EXISTS inbox_requests_pending ON inbox_requests (seq) WHERE state = 'pending';
`;

interface Row {
  seq: number;
  request_id: string | null;
  received_at: number;
  method: string;
  path: string;
  headers: string;
  body: Buffer;
  state: InboxState;
  attempts: number;
  next_attempt_at: number;
}

export class InboxStore {
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement;
  private readonly byIdStmt: Database.Statement;
  private readonly headStmt: Database.Statement;
  private readonly doneStmt: Database.Statement;
  private readonly failStmt: Database.Statement;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit, so an acknowledged request survives a power cut.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.insertStmt = this.db.prepare(
      `INSERT INTO inbox_requests (request_id, received_at, method, path, headers, body)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING`,
    );
    this.byIdStmt = this.db.prepare('SELECT seq FROM inbox_requests WHERE request_id = ?');
    this.headStmt = this.db.prepare(`SELECT * FROM inbox_requests WHERE state = 'pending' ORDER BY seq LIMIT 1`);
    this.doneStmt = this.db.prepare(`UPDATE inbox_requests SET state = 'done', attempts = ?, done_at = ?, last_error = NULL WHERE seq = ?`);
    this.failStmt = this.db.prepare('UPDATE inbox_requests SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE seq = ?');
  }

  /** Commits the request, or finds the earlier one with the same id and stores nothing. */
  insert(r: NewInboxRequest): InsertResult {
    const info = this.insertStmt.run(r.requestId, r.receivedAt, r.method, r.path, JSON.stringify(r.headers), r.body);
    if (info.changes === 1) return { stored: true, seq: Number(info.lastInsertRowid) };
    const earlier = this.byIdStmt.get(r.requestId) as { seq: number };
    return { stored: false, seq: earlier.seq };
  }

  /** The oldest request not handed over yet: the only one the dispatcher may work on. */
  head(): InboxRequest | undefined {
    const row = this.headStmt.get() as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  markDone(seq: number, attempts: number, now: number): void {
    this.doneStmt.run(attempts, now, seq);
  }

  /** A failed hand-off: retried at nextAttemptAt, or given up (`failed`) and skipped. */
  markFailedAttempt(seq: number, attempts: number, nextAttemptAt: number, error: string, giveUp: boolean): void {
    this.failStmt.run(giveUp ? 'failed' : 'pending', attempts, nextAttemptAt, error, seq);
  }

  close(): void {
    this.db.close();
  }
}

function fromRow(row: Row): InboxRequest {
  return {
    seq: row.seq,
    requestId: row.request_id,
    receivedAt: row.received_at,
    method: row.method,
    path: row.path,
    headers: JSON.parse(row.headers) as [string, string][],
    body: row.body,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
  };
}
