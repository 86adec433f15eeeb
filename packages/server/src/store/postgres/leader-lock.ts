import type pg from 'pg';

/**
 * The lock that makes one process of many the leader: a session-level advisory lock
 * (pg_try_advisory_lock) on a connection taken from the pool and kept while leading. If the
 * process dies or its connection drops, PostgreSQL ends the session and the lock is free for
 * another process at its next try. One lock per schema: several installations (or test
 * schemas) can share a database.
 */
const LOCK_KEY = `hashtext('herald.leader.' || current_schema())`;

export class PostgresLeaderLock {
  private client: pg.PoolClient | null = null;
  private onClientError: ((err: Error) => void) | null = null;

  /** @param onLost called when the held connection fails: the lock is gone with it. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly onLost: () => void,
  ) {}

  /** Takes the lock, or checks the connection that holds it still answers. Answers whether this process holds it. */
  async hold(): Promise<boolean> {
    if (this.client) {
      try {
        await this.client.query('SELECT 1');
        return true;
      } catch (err) {
        this.drop(err);
        return false;
      }
    }
    const client = await this.pool.connect();
    // A checked-out client that loses its server emits 'error': unheard, it would end the process.
    const onError = (err: Error) => {
      if (this.client === client) {
        this.drop(err);
        this.onLost();
      }
    };
    client.on('error', onError);
    let held = false;
    try {
      const r = await client.query<{ held: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS held`);
      held = r.rows[0]?.held === true;
    } catch (err) {
      client.off('error', onError);
      client.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    if (!held) {
      client.off('error', onError);
      client.release();
      return false;
    }
    this.client = client;
    this.onClientError = onError;
    return true;
  }

  /** Gives the lock back (the connection returns to the pool). */
  async release(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    try {
      await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`);
      this.detach(client, false);
      client.release();
    } catch (err) {
      // Closing the connection ends the session, and the lock with it.
      this.detach(client, true);
      client.release(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The held connection failed: the pool discards it (its session, and so the lock, are gone). */
  private drop(err: unknown): void {
    const client = this.client;
    if (!client) return;
    this.client = null;
    this.detach(client, true);
    client.release(err instanceof Error ? err : new Error(String(err)));
  }

  private detach(client: pg.PoolClient, discarded: boolean): void {
    if (this.onClientError) client.off('error', this.onClientError);
    this.onClientError = null;
    // Late errors of a discarded connection must still be heard (a pooled one has the pool's listener).
    if (discarded) client.on('error', () => undefined);
  }
}
