/**
 * A broker's client library, loaded on its first connection rather than when Herald starts:
 * amqplib, nats and ioredis together add ~33 MB to a process and a few hundred milliseconds to
 * its start, which a Herald without broker webhooks should not pay (each engine and API thread
 * imports the destination modules).
 */
export class ClientLibrary<T> {
  private loading: Promise<T> | null = null;
  private module: T | null = null;

  constructor(
    private readonly name: string,
    private readonly load: () => Promise<T>,
  ) {}

  /** The library, loaded now if it was not. */
  async get(): Promise<T> {
    this.loading ??= this.load().then((m) => (this.module = m));
    return this.loading;
  }

  /** The library if get() has answered, else null. */
  get loadedOrNull(): T | null {
    return this.module;
  }

  /** The library once get() has answered (every connection starts with get()). */
  get loaded(): T {
    if (this.module === null) throw new Error(`${this.name} is used before its first connection loaded it`);
    return this.module;
  }
}
