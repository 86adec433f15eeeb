/**
 * NATS JetStream destination: each message is a JetStream publish that waits for the stream's
 * publish acknowledgement, with `Nats-Msg-Id` = the delivery id, so a delivery published twice
 * within the stream's duplicate window is stored once (the second ack says `duplicate`). The
 * signed headers travel as NATS headers.
 */
import type { ConnectionOptions, JetStreamClient, NatsConnection, PubAck } from 'nats';
import { cannotReject, detach } from '../background/detach.js';
import { ClientLibrary } from './client-library.js';
import { connectionOptions } from './connection-options.js';
import { DestinationFailure, LazyConnection, startBatch, errorText } from './lazy-connection.js';
import { natsSubjectProblem, renderName } from './name-template.js';
import type { Destination, DestinationOptions, DestinationOutcome, DestinationSecrets, NatsSettings, OutboundMessage } from './types.js';

const NATS = new ClientLibrary('nats', () => import('nats'));

/** Pings every 10 s, two unanswered pings close the connection: a silently dead server is noticed in ~30 s. */
const PING_INTERVAL_MS = 10_000;
const MAX_PINGS_OUT = 2;
const encoder = new TextEncoder();

interface NatsLink {
  nc: NatsConnection;
  js: JetStreamClient;
}

export class NatsDestination implements Destination {
  readonly kind = 'nats' as const;
  private readonly link: LazyConnection<NatsLink>;

  constructor(
    private readonly settings: NatsSettings,
    secrets: DestinationSecrets,
    options: DestinationOptions = {},
  ) {
    const base: ConnectionOptions = {
      servers: settings.servers.map((s) => new URL(s).host),
      name: 'herald-destination',
      // Herald reconnects itself (lazy-connection.ts): the client's own loop would buffer
      // publishes while disconnected instead of failing them fast.
      reconnect: false,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: MAX_PINGS_OUT,
      // Otherwise every publish captures a stack trace for a possible timeout error: a quarter
      // of the publisher's CPU in bench/destinations-micro.mjs.
      noAsyncTraces: true,
    };
    if (settings.servers.some((s) => s.startsWith('tls:'))) base.tls = {};
    if (secrets.token !== undefined) base.token = secrets.token;
    else if (settings.user !== undefined) {
      base.user = settings.user;
      if (secrets.password !== undefined) base.pass = secrets.password;
    }
    this.link = new LazyConnection<NatsLink>({
      ...connectionOptions(options),
      open: async (timeoutMs) => {
        const { connect } = await NATS.get();
        const nc = await connect({ ...base, timeout: timeoutMs });
        const link: NatsLink = { nc, js: nc.jetstream() };
        detach(nc.closed().then(() => this.link.lost(link)), cannotReject);
        return link;
      },
      shut: (l) => l.nc.close(),
      classify: classifyConnectError,
    });
  }

  async send(batch: readonly OutboundMessage[], deadlineMs: number): Promise<DestinationOutcome[]> {
    const { out, conn: link } = await startBatch(this.link, batch.length, deadlineMs);
    if (link === null) return out.done;
    const timeout = Math.max(1, Math.floor(out.remainingMs(deadlineMs)));
    batch.forEach((m, i) => {
      const subject = renderName(this.settings.subject, m.eventType);
      const problem = natsSubjectProblem(subject);
      if (problem !== null) {
        out.fail(i, 'config', `The subject "${subject}" ${problem}`);
        return;
      }
      let pending: Promise<PubAck>;
      try {
        // Inside the try: the client refuses a header it cannot encode by throwing.
        const h = NATS.loaded.headers();
        for (const [name, value] of Object.entries(m.headers)) h.set(name, value);
        h.set('herald-event-type', m.eventType);
        pending = link.js.publish(subject, encoder.encode(m.body), { msgID: m.deliveryId, headers: h, timeout });
      } catch (err) {
        out.fail(i, ...publishFailure(err, subject));
        return;
      }
      pending.then(
        (ack) => out.ok(i, ack.duplicate ? `duplicate of ${ack.stream} #${ack.seq}` : `${ack.stream} #${ack.seq}`),
        (err: unknown) => {
          // The client fails requests pending on a connection that closes with a TIMEOUT code,
          // at once: that is a lost connection, not a broker that was too slow.
          if (link.nc.isClosed()) out.fail(i, 'broker_unreachable', `The connection closed before the acknowledgement: ${errorText(err)}`);
          else out.fail(i, ...publishFailure(err, subject));
        },
      );
    });
    return out.done;
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

function publishFailure(err: unknown, subject: string): [DestinationFailure['code'], string] {
  const e = err as { code?: unknown; api_error?: { code?: number; description?: string } };
  const text = errorText(err);
  if (e.api_error !== undefined) return ['broker_nack', `JetStream refused the message: ${e.api_error.description ?? text}`];
  // A publish runs on a connection, so the library is loaded.
  const { ErrorCode } = NATS.loaded;
  switch (e.code) {
    case ErrorCode.NoResponders:
      return ['config', `No JetStream stream captures the subject "${subject}" (no responders)`];
    case ErrorCode.Timeout:
      return ['timeout', 'No JetStream publish acknowledgement before the deadline'];
    case ErrorCode.PermissionsViolation:
      return ['broker_auth', `The server refused the publish: ${text}`];
    case ErrorCode.ConnectionClosed:
    case ErrorCode.Disconnect:
    case ErrorCode.ConnectionDraining:
      return ['broker_unreachable', `The connection closed before the acknowledgement: ${text}`];
    case ErrorCode.BadSubject:
      return ['config', `The subject "${subject}" is not valid`];
    default:
      return ['broker_error', text];
  }
}

function classifyConnectError(err: unknown): DestinationFailure {
  const code = (err as { code?: unknown }).code;
  const text = errorText(err);
  // Null when the library itself could not be loaded (then `text` says why).
  const ErrorCode = NATS.loadedOrNull?.ErrorCode;
  if (ErrorCode !== undefined && (code === ErrorCode.AuthorizationViolation || code === ErrorCode.BadAuthentication || code === ErrorCode.AuthenticationExpired)) {
    return new DestinationFailure('broker_auth', `The server refused the credentials: ${text}`);
  }
  return new DestinationFailure('broker_unreachable', `Cannot connect to the server: ${text}`);
}
