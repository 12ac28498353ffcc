import { randomBytes, randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Namespace, Socket } from 'socket.io';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { AuthUser } from '../../modules/auth/domain/actor.js';
import { hasPermissions, type Permission, type Role } from '../../modules/auth/domain/roles.js';
import { AuditService } from '../../modules/audit/audit.service.js';
import { AppError } from '../errors/app-error.js';
import { DatabaseAvailability } from '../database/database-availability.js';
import { clientAddress, proxyTrust, type ProxyTrust } from '../http/client-ip.js';
import { databaseFailure } from '../database/database-errors.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisAvailability } from '../redis/redis-availability.js';
import { REDIS } from '../redis/redis.module.js';
import { RateLimitService } from '../throttling/rate-limit.service.js';
import { PreparedMessage, type Envelope } from './envelope.js';
import { WsAuthenticator, type VerifiedToken } from './ws-authenticator.service.js';
import { WsErrors } from './ws.errors.js';
import { sessionOf, type SocketData, type SocketSession } from './ws-session.js';

/** The namespace-level event one node uses (through the adapter's serverSideEmit) to reach the others. */
const FANOUT_EVENT = 'rt:fanout';
/**
 * A volatile message is skipped for a connection with this many packets handed over since its transport last
 * drained: that client is not keeping up, and the next tick supersedes the message.
 */
const VOLATILE_BACKLOG_LIMIT = 16;
/** The longest a closing node waits for its disconnect handlers before closing the adapters. */
const SHUTDOWN_SETTLE_MS = 3000;
/** Clients should heartbeat at least this often; presence and idle detection rely on it. */
export const HEARTBEAT_INTERVAL_MS = 25_000;

/**
 * The room holding a player's own sockets, in every namespace (the hub joins them on connect), so that
 * PlayerChannel can notify or disconnect a player on every node and namespace.
 */
export const playerRoom = (playerId: string) => `player:${playerId}`;

export interface NamespacePolicy {
  /** An AppError refusing a verified user this namespace is not for, or undefined to admit. */
  admit(user: AuthUser): AppError | undefined;
  /** Client events the namespace handles (besides heartbeat); anything else answers WS.UNKNOWN_EVENT. */
  events: readonly string[];
  /** Called on each heartbeat, after the ack (e.g. presence renewal). */
  onHeartbeat?(socket: Socket): void;
}

/** A message for many sockets, possibly on many nodes. */
export interface FanoutMessage {
  /** Rooms whose sockets receive it (each socket once); null: every socket of the namespace. */
  rooms: string[] | null;
  type: string;
  data: unknown;
  timestamp: string;
  /** Sockets with a topic filter (socket.data.topics) receive it only when it names this topic. */
  topic?: string;
  /**
   * Only sockets whose session's role grants this permission receive it: a message about something their role
   * may not read over REST either (bulk operations) does not reach them by being in the namespace.
   */
  permission?: Permission;
  /** Disconnect every receiver right after the message, with this reason. */
  disconnect?: string;
  /** Skip a socket whose connection is backed up rather than queue more for it (market ticks: the next one supersedes it). */
  volatile?: boolean;
  /**
   * A state that newer ones supersede (a market's prices): each node delivers a message only if its version is
   * above the last one it delivered for the key, so that states published by several nodes, which reach a node
   * in any order, never leave its sockets on an older one.
   */
  supersedes?: { key: string; version: number };
  /**
   * With `supersedes`: each node hands its sockets at most one message per key in this many ms, whichever nodes
   * published them. The first goes out at once; those arriving within the window wait, the newest replacing
   * the older, and the newest goes out when the window closes. (A node's own publishing may coalesce too, but
   * with several nodes publishing one key that alone would let each of them reach a socket within the window.)
   */
  coalesceMs?: number;
}

/** A key's open coalescing window on this node: what waits for it to close. */
interface DeliveryWindow {
  timer: NodeJS.Timeout;
  pending?: { message: FanoutMessage; publishedAt?: number };
}

type Ack = (response: unknown) => void;

/**
 * A socket of this node that dropped recoverably (one node, the in-memory adapter): what a message published
 * meanwhile needs to reach it on recovery. Kept for the recovery window.
 */
interface AwaySocket {
  rooms: Set<string>;
  sessionId: string;
  key: Buffer;
  role?: Role;
  topics?: string[] | null;
  timer: NodeJS.Timeout;
}

/** What Socket.IO's in-memory session-aware adapter keeps of a dropped socket (private in its typings). */
interface PersistedSessions {
  sessions?: Map<string, { rooms: string[] }>;
}

/** Socket.IO's Client._packet: what its adapters call to write encoded packets to a connection. */
interface PacketWriter {
  _packet(encoded: string[], opts: { preEncoded: true }): void;
}

/**
 * The shared Socket.IO machinery behind every namespace: handshake authentication, the per-session signed
 * envelope, per-socket rate limits and abuse disconnects, unknown-event errors, heartbeat, token-expiry
 * timers and cleanup, and cluster-wide delivery.
 *
 * Why fan-out is not a plain room broadcast: every socket signs with its own session key, so a broadcast
 * packet cannot be shared. A message goes once to every node (serverSideEmit through the Redis adapter,
 * nothing in embedded mode) and each node signs it per local socket; the data is canonicalised once.
 */
@Injectable()
export class RealtimeHub implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(RealtimeHub.name);
  private readonly namespaces = new Map<string, Namespace>();
  private readonly policies = new Map<string, NamespacePolicy>();
  private readonly keys = new WeakMap<Socket, Buffer>();
  /** The rate-limit key of each underlying connection (engine.io keeps its own id private). */
  private readonly connectionKeys = new WeakMap<object, string>();
  private readonly cleanups = new Map<Socket, Array<() => void>>();
  private readonly clustered: boolean;
  private activeTimers = 0;
  /** Packets handed to each connection since it last drained (see VOLATILE_BACKLOG_LIMIT). */
  private readonly backlog = new WeakMap<Socket['conn'], number>();
  /**
   * Per namespace and FanoutMessage.supersedes key, the last version delivered. One entry per key ever published
   * (markets: one per station and commodity), kept for the node's life.
   */
  private readonly delivered = new Map<string, number>();
  /** Per namespace and FanoutMessage.supersedes key, the open coalescing window (see FanoutMessage.coalesceMs). */
  private readonly windows = new Map<string, DeliveryWindow>();
  /** Per namespace, by socket id, the sockets waiting for recovery (one node only; see AwaySocket). */
  private readonly away = new Map<string, Map<string, AwaySocket>>();
  /** Fan-outs waiting for the next turn of the event loop (see publish), with when they were published. */
  private outbox: [Namespace, FanoutMessage, number][] = [];
  /** What waits for the outbox's next flush (see afterPublished). */
  private afterFlush: (() => void)[] = [];
  private admission?: (user: AuthUser) => Promise<AppError | undefined>;
  private readonly closingWork: (() => Promise<void>)[] = [];
  private readonly proxyTrust: ProxyTrust | false;

  constructor(
    private readonly auth: WsAuthenticator,
    private readonly limits: RateLimitService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) redis: Redis | null,
    private readonly metrics: MetricsService,
    private readonly redisAvailability: RedisAvailability,
    private readonly audit: AuditService,
    private readonly database: DatabaseAvailability,
  ) {
    this.clustered = redis !== null;
    this.proxyTrust = proxyTrust(config.trustProxy);
  }

  /** Wires a gateway's namespace (call from afterInit). */
  attach(nsp: Namespace, policy: NamespacePolicy): void {
    this.namespaces.set(nsp.name, nsp);
    this.policies.set(nsp.name, policy);
    this.metrics.trackSockets(nsp.name, () => nsp.sockets.size);
    nsp.use((socket, next) => {
      const refuse = (err: unknown) => {
        // A database outage (the admission check reads the player) is one the client may retry: say so, and
        // let DatabaseAvailability tell the outage once.
        const outage = err instanceof AppError ? undefined : databaseFailure(err);
        const appError = err instanceof AppError ? err : (outage ?? WsErrors.handshakeFailed());
        if (outage)
          this.database.refused(outage, err, { transport: 'socket', namespace: nsp.name, event: 'connect' });
        else if (!(err instanceof AppError))
          this.logger.error({ err }, `Socket handshake failed: ${appError.code}`);
        // The client sees connect_error with message = detail and data = {code, detail, ...details}.
        const refusal = new Error(appError.message) as Error & { data: unknown };
        refusal.data = { code: appError.code, detail: appError.message, ...appError.details };
        next(refusal);
      };
      let verified: VerifiedToken;
      try {
        verified = this.auth.verify((socket.handshake.auth as { token?: unknown } | undefined)?.token);
      } catch (err) {
        refuse(err); // no verified user: nothing to count or audit it against
        return;
      }
      // Per user, on every node together: a client stuck in a reconnect loop (or a script) cannot make each
      // handshake cost a read of the player's standing, or an audit row, without bound.
      const { user } = verified;
      const handshakes = this.limits.limiter('ws-handshake', {
        points: this.config.wsHandshakeRateLimit,
        durationSeconds: 60,
      });
      this.limits
        .consume(handshakes, user.userId)
        .then(async (verdict) => {
          if (!verdict.allowed) return WsErrors.handshakesLimited(verdict.retryAfterSeconds);
          const denied = policy.admit(user);
          if (denied) {
            await this.recordRefusal(socket, user, denied);
            return denied;
          }
          this.startSession(socket, verified);
          return this.admission?.(user);
        })
        .then(
          (refusal) => (refusal ? refuse(refusal) : next()),
          (err: unknown) => refuse(err),
        );
    });
    (nsp as unknown as NodeJS.EventEmitter).on(FANOUT_EVENT, (message: FanoutMessage) =>
      this.deliverCoalesced(nsp, message),
    );
  }

  /**
   * A check every handshake passes after its token and the namespace's policy, for what a token cannot say
   * (a player banned since it was issued). Resolves to a refusal, or undefined to admit.
   */
  useAdmission(check: (user: AuthUser) => Promise<AppError | undefined>): void {
    this.admission = check;
  }

  namespace(name: string): Namespace | undefined {
    return this.namespaces.get(name);
  }

  namespaceNames(): string[] {
    return [...this.namespaces.keys()];
  }

  /**
   * Sets a newly connected socket up (call first in handleConnection): message middleware, heartbeat,
   * token-expiry timer, and connection_established (or connection_recovered). Returns the session.
   */
  connected(socket: Socket): { session: SocketSession; recovered: boolean } {
    const session = sessionOf(socket);
    const policy = this.policies.get(socket.nsp.name);
    this.forgetAway(socket.nsp.name, socket.id); // recovered (or its id taken over): no longer away
    if (!this.clustered) socket.once('disconnect', () => this.keepAway(socket));
    const known = new Set(['heartbeat', ...(policy?.events ?? [])]);
    this.keys.set(socket, Buffer.from(session.sessionKey, 'base64url'));
    this.cleanups.set(socket, this.cleanups.get(socket) ?? []);
    if (session.user.playerId) void socket.join(playerRoom(session.user.playerId));

    const messages = this.limits.limiter(
      'ws-message',
      { points: this.config.wsRateLimitPerSecond, durationSeconds: 1 },
      true,
    );
    // Counted per connection (socket.conn): namespaces multiplexed on one WebSocket share its 100 a second, so
    // opening more namespaces buys no more. Rejected messages count as abuse; a connection that keeps flooding
    // after being told is cut off.
    const abuse = this.limits.limiter(
      'ws-abuse',
      { points: this.config.wsRateLimitPerSecond, durationSeconds: 10 },
      true,
    );
    let connection = this.connectionKeys.get(socket.conn);
    if (!connection) this.connectionKeys.set(socket.conn, (connection = randomUUID()));
    let lastNotice = 0;
    socket.use((packet, next) => {
      const [event] = packet;
      const ack =
        typeof packet[packet.length - 1] === 'function' ? (packet[packet.length - 1] as Ack) : undefined;
      void this.limits
        .consume(messages, connection)
        .then(async (verdict) => {
          if (!verdict.allowed) {
            const strike = await this.limits.consume(abuse, connection);
            if (!strike.allowed) {
              this.sendError(socket, WsErrors.abuse());
              socket.disconnect(true);
              return;
            }
            const now = Date.now();
            if (ack) this.answerError(socket, ack, WsErrors.rateLimited(verdict.retryAfterSeconds));
            else if (now - lastNotice >= 1000) {
              lastNotice = now; // one notice per second, not one per dropped message
              this.sendError(socket, WsErrors.rateLimited(verdict.retryAfterSeconds));
            }
            return;
          }
          if (typeof event !== 'string' || !known.has(event)) {
            const err = WsErrors.unknownEvent(String(event));
            if (ack) this.answerError(socket, ack, err);
            this.sendError(socket, err);
            return;
          }
          next();
        })
        .catch((err: unknown) => {
          this.logger.error({ err }, 'Socket message middleware failed');
        });
    });

    socket.on('heartbeat', (...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as Ack) : undefined;
      const data = { server_time: new Date().toISOString() };
      if (ack) ack(this.envelope(socket, 'heartbeat_ack', data));
      else this.send(socket, 'heartbeat_ack', data);
      policy?.onHeartbeat?.(socket);
    });

    this.addTimer(
      socket,
      () => {
        this.sendError(socket, WsErrors.tokenExpired());
        socket.disconnect(true);
      },
      session.tokenExpiresAt - Date.now(),
    );

    const recovered = socket.recovered && !(socket.data as SocketData).restarted;
    const base = {
      session_id: session.sessionId,
      namespace: socket.nsp.name,
      server_time: new Date().toISOString(),
      token_expires_at: new Date(session.tokenExpiresAt).toISOString(),
    };
    if (recovered) {
      this.send(socket, 'connection_recovered', base);
    } else {
      this.send(socket, 'connection_established', {
        ...base,
        session_key: session.sessionKey,
        user: {
          id: session.user.userId,
          username: session.user.username,
          role: session.user.role,
          player_id: session.user.playerId,
        },
        heartbeat_interval_ms: HEARTBEAT_INTERVAL_MS,
        rate_limit_per_second: this.config.wsRateLimitPerSecond,
        signature: {
          algorithm: 'HMAC-SHA256',
          key_encoding: 'base64url',
          signed_string: 'type + "\\n" + timestamp + "\\n" + canonical_json(data)',
        },
      });
    }
    if (this.clustered) {
      // Recovery needs the client to hold a stream offset, and only adapter-routed packets carry one (ours
      // are delivered locally). One checkpoint through the Redis stream per connection gives it one.
      socket.emit(
        'session_checkpoint',
        this.envelope(socket, 'session_checkpoint', { session_id: session.sessionId }),
      );
    }
    return { session, recovered };
  }

  /** Runs the socket's cleanups (timers, subscriptions); call from handleDisconnect. Rooms Socket.IO leaves itself. */
  disconnected(socket: Socket): void {
    const fns = this.cleanups.get(socket) ?? [];
    this.cleanups.delete(socket);
    for (const fn of fns.reverse()) {
      try {
        fn();
      } catch (err) {
        this.logger.warn({ err }, 'Socket cleanup failed');
      }
    }
  }

  /**
   * One node: a socket that dropped recoverably (Socket.IO kept its session) is remembered for the recovery
   * window, so that what is published for its rooms meanwhile is signed for its session and handed to the
   * adapter's recovery buffer (to its own id, a room only it is in), which replays it when the client recovers.
   * Only what is written to a live socket reaches that buffer otherwise: a message published after the node
   * saw the drop would be lost. (With the Redis adapter nothing is replayed; see connected.)
   */
  private keepAway(socket: Socket): void {
    const pid = (socket as unknown as { pid?: string }).pid;
    const persisted = pid
      ? (socket.nsp.adapter as unknown as PersistedSessions).sessions?.get(pid)
      : undefined;
    const data = socket.data as SocketData;
    if (!persisted || !data.session) return; // closed for good (the client left, a kick, a shutdown)
    const windowMs =
      (
        socket.nsp.server as unknown as {
          opts: { connectionStateRecovery?: { maxDisconnectionDuration?: number } };
        }
      ).opts.connectionStateRecovery?.maxDisconnectionDuration ?? 0;
    const timer = setTimeout(() => this.forgetAway(socket.nsp.name, socket.id), windowMs);
    timer.unref();
    let waiting = this.away.get(socket.nsp.name);
    if (!waiting) this.away.set(socket.nsp.name, (waiting = new Map()));
    waiting.set(socket.id, {
      rooms: new Set(persisted.rooms),
      sessionId: data.session.sessionId,
      key: this.keys.get(socket) ?? Buffer.from(data.session.sessionKey, 'base64url'),
      role: data.session.user.role,
      topics: data.topics,
      timer,
    });
  }

  private forgetAway(namespace: string, socketId: string): void {
    const waiting = this.away.get(namespace);
    const entry = waiting?.get(socketId);
    if (!entry) return;
    clearTimeout(entry.timer);
    waiting!.delete(socketId);
  }

  /** Hands a message to the recovery buffer for each away socket it is for (see keepAway). */
  private deliverAway(nsp: Namespace, message: FanoutMessage, prepared: PreparedMessage): void {
    const waiting = this.away.get(nsp.name);
    if (!waiting?.size || message.volatile || message.disconnect !== undefined) return;
    for (const [socketId, a] of waiting) {
      if (message.rooms !== null && !message.rooms.some((room) => a.rooms.has(room))) continue;
      if (message.permission !== undefined && !(a.role && hasPermissions(a.role, [message.permission])))
        continue;
      if (message.topic !== undefined && a.topics && !a.topics.includes(message.topic)) continue;
      nsp.local.to(socketId).emit(message.type, prepared.envelopeFor(a.sessionId, a.key));
    }
  }

  /** Registers something to undo when the socket goes. */
  onCleanup(socket: Socket, fn: () => void): void {
    const list = this.cleanups.get(socket);
    if (list) list.push(fn);
    else this.cleanups.set(socket, [fn]);
  }

  /** A timer owned by the socket: cleared when it disconnects. */
  addTimer(socket: Socket, fn: () => void, delayMs: number, repeat = false): void {
    const delay = Math.max(0, Math.min(delayMs, 2_147_483_647));
    const timer = repeat ? setInterval(fn, delay) : setTimeout(fn, delay);
    timer.unref();
    this.activeTimers += 1;
    this.onCleanup(socket, () => {
      clearTimeout(timer);
      this.activeTimers -= 1;
    });
  }

  /** Counts for tests and /metrics: per-socket timers alive and sockets with cleanups pending. */
  stats(): { timers: number; sockets: number } {
    return { timers: this.activeTimers, sockets: this.cleanups.size };
  }

  envelope<T>(socket: Socket, type: string, data: T, prepared?: PreparedMessage<T>): Envelope<T> {
    const message = prepared ?? new PreparedMessage(type, data);
    const key = this.keys.get(socket) ?? Buffer.from(sessionOf(socket).sessionKey, 'base64url');
    return message.envelopeFor(sessionOf(socket).sessionId, key);
  }

  /**
   * Emits one signed message to one local socket. `volatile`: skipped while the socket's connection is backed
   * up (not Socket.IO's volatile flag, which drops a message whenever the previous write to the connection is
   * still in flight: a healthy client then loses every message after the first in a burst, such as its own
   * trade's market_update right behind its assets_changed on a shared connection), and, as Socket.IO's own
   * volatile messages are, not kept for connection state recovery. Returns whether the message was handed over.
   */
  send<T>(socket: Socket, type: string, data: T, prepared?: PreparedMessage<T>, volatile = false): boolean {
    const conn = socket.conn;
    const queued = this.backlog.get(conn);
    if (queued === undefined) conn.on('drain', () => this.backlog.set(conn, 0));
    if (volatile && (queued ?? 0) >= VOLATILE_BACKLOG_LIMIT) return false;
    this.backlog.set(conn, (queued ?? 0) + 1);
    if (volatile || this.clustered) {
      // Straight to the connection, encoded here: no adapter, no recovery buffer, no per-socket serialisation
      // of the data. The bulk of a market tick's fan-out. With the Redis adapter every message goes this way:
      // its local emits are neither buffered nor given an offset (recovery there replays only the Redis
      // stream), so the adapter pass would only cost time.
      const session = sessionOf(socket);
      const key = this.keys.get(socket) ?? Buffer.from(session.sessionKey, 'base64url');
      const packet = (prepared ?? new PreparedMessage(type, data)).packetFor(
        socket.nsp.name,
        session.sessionId,
        key,
      );
      (socket.client as unknown as PacketWriter)._packet([packet], { preEncoded: true });
      return true;
    }
    // The in-memory adapter (one node): through it, so that it buffers the message for recovery. Not
    // socket.emit, which with recovery on is a broadcast to the socket's own room (with the Redis adapter an
    // XADD per socket per message, delivered only after the round trip).
    socket.nsp.local.to(socket.id).emit(type, this.envelope(socket, type, data, prepared));
    return true;
  }

  /** The `error` event {code, detail, ...details}. */
  sendError(socket: Socket, error: AppError): void {
    this.send(socket, 'error', errorData(error));
  }

  /**
   * Answers an ack with `{success: false, error: {code, detail}}`, which is also a signed `error` envelope
   * (type, data, timestamp, session_id, signature), so every ack has the same shape as a successful one.
   */
  answerError(socket: Socket, ack: Ack, error: AppError): void {
    const data = errorData(error);
    ack({ success: false, error: data, ...this.envelope(socket, 'error', data) });
  }

  /** A successful ack: `{success: true}` plus the signed envelope whose data is the result. */
  ackSuccess<T>(socket: Socket, type: string, data: T): { success: true } & Envelope<T> {
    return { success: true, ...this.envelope(socket, type, data) };
  }

  /**
   * Delivers to the sockets of `rooms` (null: the whole namespace) on every node, each signed for its session.
   * Local delivery waits for the next turn of the event loop: a command publishes its events before it
   * answers, and a fan-out to thousands of sockets should not stand between a trade and its HTTP response.
   * Messages keep their order. While the Redis client is not connected a message reaches this node's sockets
   * only: it is not left in ioredis' offline queue to reach the other nodes late (or not at all, depending on
   * how soon Redis comes back), nor a failed command to log for every message.
   */
  publish(namespace: string, message: Omit<FanoutMessage, 'timestamp'> & { timestamp?: string }): void {
    const nsp = this.namespaces.get(namespace);
    if (!nsp) return; // the gateway is not up (boot or shutdown): nothing to deliver to
    const full: FanoutMessage = { ...message, timestamp: message.timestamp ?? new Date().toISOString() };
    if (this.outbox.push([nsp, full, performance.now()]) === 1) setImmediate(() => this.flushOutbox());
    if (this.clustered && this.redisAvailability.connected) nsp.serverSideEmit(FANOUT_EVENT, full);
  }

  private flushOutbox(): void {
    const due = this.outbox;
    const then = this.afterFlush;
    this.outbox = [];
    this.afterFlush = [];
    for (const [nsp, message, publishedAt] of due) this.deliverCoalesced(nsp, message, publishedAt);
    for (const fn of then) {
      try {
        fn();
      } catch (err) {
        this.logger.warn({ err }, 'Work after a socket delivery failed');
      }
    }
  }

  /**
   * Runs `fn` once what was published before it has been handed to this node's sockets (at once when nothing
   * waits), and after its cross-node copies went to the adapter: a disconnect of a player's other namespaces
   * run then closes a shared connection behind their `kicked`, not before it was written.
   */
  afterPublished(fn: () => void): void {
    if (this.outbox.length === 0) fn();
    else this.afterFlush.push(fn);
  }

  /**
   * Delivers now, or, while the message's key has a coalescing window open on this node, keeps it for the
   * window's close (only the newest version waits). `publishedAt`: this node published it (for the metric).
   */
  private deliverCoalesced(nsp: Namespace, message: FanoutMessage, publishedAt?: number): void {
    const key =
      message.supersedes && message.coalesceMs ? `${nsp.name} ${message.supersedes.key}` : undefined;
    if (key !== undefined) {
      // Already superseded here: it neither goes out nor opens a window that would hold back a newer state.
      if (message.supersedes!.version <= (this.delivered.get(key) ?? -Infinity)) return;
      const window = this.windows.get(key);
      if (window) {
        const waiting = window.pending?.message.supersedes?.version ?? -Infinity;
        if (message.supersedes!.version > waiting) window.pending = { message, publishedAt };
        return;
      }
      const timer = setTimeout(() => {
        const { pending } = this.windows.get(key) ?? {};
        this.windows.delete(key);
        if (pending) this.deliverCoalesced(nsp, pending.message, pending.publishedAt);
      }, message.coalesceMs);
      timer.unref();
      this.windows.set(key, { timer });
    }
    const written = this.deliverLocal(nsp, message);
    if (written === 0) return;
    const labels = { namespace: nsp.name, type: message.type };
    if (publishedAt !== undefined)
      this.metrics.realtimeDelivery.observe(labels, (performance.now() - publishedAt) / 1000);
    this.metrics.realtimeMessages.inc(labels, written);
  }

  /** How many sockets of the namespace this node holds. */
  localCount(namespace: string): number {
    return this.namespaces.get(namespace)?.sockets.size ?? 0;
  }

  /** Hands the message to this node's target sockets; returns how many it was written to. */
  private deliverLocal(nsp: Namespace, message: FanoutMessage): number {
    if (message.supersedes) {
      const key = `${nsp.name} ${message.supersedes.key}`;
      if (message.supersedes.version <= (this.delivered.get(key) ?? -Infinity)) return 0;
      this.delivered.set(key, message.supersedes.version);
    }
    let targets: Iterable<Socket>;
    if (message.rooms === null) {
      targets = nsp.sockets.values();
    } else {
      const ids = new Set<string>();
      for (const room of message.rooms) for (const id of nsp.adapter.rooms.get(room) ?? []) ids.add(id);
      targets = [...ids].map((id) => nsp.sockets.get(id)).filter((s): s is Socket => s !== undefined);
    }
    const prepared = new PreparedMessage(message.type, message.data, message.timestamp);
    let written = 0;
    for (const socket of targets) {
      if (message.permission !== undefined) {
        const role = (socket.data as SocketData).session?.user.role;
        if (!role || !hasPermissions(role, [message.permission])) continue;
      }
      if (message.topic !== undefined) {
        const topics = (socket.data as SocketData).topics;
        if (topics && !topics.includes(message.topic)) continue;
      }
      try {
        if (this.send(socket, message.type, message.data, prepared, message.volatile === true)) written += 1;
        if (message.disconnect !== undefined) socket.disconnect(true);
      } catch (err) {
        this.logger.warn({ err, type: message.type }, 'Could not deliver a socket message');
      }
    }
    if (!this.clustered) this.deliverAway(nsp, message, prepared);
    return written;
  }

  /**
   * A verified user refused by the namespace's policy is a denied attempt, audited as a denied route or message
   * is. Only after the handshake limit admitted it: a client looping on a refusal writes at most
   * WS_HANDSHAKE_RATE_LIMIT rows a minute; a handshake without a valid token writes none (anyone could send
   * those, and they name no user).
   */
  private async recordRefusal(socket: Socket, user: AuthUser, refusal: AppError): Promise<void> {
    const namespace = socket.nsp.name;
    await this.audit.recordDenied(
      { ...user, requestId: socket.id, ip: this.clientIp(socket) },
      {
        action: `WS ${namespace} connect`,
        targetType: 'namespace',
        targetId: namespace,
        reason: refusal.message,
      },
    );
  }

  /**
   * The client's address, by TRUST_PROXY's rule for HTTP requests (one ProxyTrust for both): behind a trusted
   * proxy, from the X-Forwarded-For of the handshake's request; otherwise the peer's, whatever the client sent.
   * handshake.address is only the peer: behind nginx, nginx.
   */
  clientIp(socket: Socket): string {
    return clientAddress(this.proxyTrust, socket.handshake.address, socket.handshake.headers);
  }

  private startSession(socket: Socket, { user, expiresAt }: VerifiedToken): void {
    const data = socket.data as SocketData;
    const previous = data.session;
    const clientIp = this.clientIp(socket);
    // A recovered socket keeps its session (id and key) if the same user re-authenticated.
    if (previous && previous.user.userId === user.userId) {
      data.session = { ...previous, user, tokenExpiresAt: expiresAt, clientIp };
      data.restarted = false;
      return;
    }
    if (previous) {
      // Recovered under another user's token (its private session id reused): nothing of the previous user's
      // follows. Socket.IO restored its rooms and data before this middleware; they go, and the socket starts
      // as a new one (connection_established, a new key).
      for (const room of [...socket.rooms]) if (room !== socket.id) void socket.leave(room);
      data.topics = null;
    }
    data.restarted = previous !== undefined;
    data.session = {
      sessionId: randomUUID(),
      sessionKey: randomBytes(32).toString('base64url'),
      user,
      tokenExpiresAt: expiresAt,
      clientIp,
    };
  }

  /**
   * Drops every local connection at the transport, as a lost network would: a recoverable close, so clients
   * reconnect (to another node, where there is one) and recover their sessions. Called before the shutdown
   * hooks close Redis, so that Socket.IO's session store and the disconnect handlers (presence) still reach
   * it. Idempotent.
   */
  closeConnections(): void {
    for (const nsp of this.namespaces.values()) {
      for (const socket of [...nsp.sockets.values()]) socket.conn.close();
    }
  }

  /** Work a closing node must let finish after its connections drop and before Redis goes (see below). */
  beforeClosing(wait: () => Promise<void>): void {
    this.closingWork.push(wait);
  }

  /**
   * Shutdown, before the hooks that close Redis: drop every connection (Socket.IO stores each session for
   * recovery elsewhere), let the disconnect handlers finish (bounded by SHUTDOWN_SETTLE_MS), then close the
   * adapters, which tell the other nodes this one is leaving. Socket.IO's own close comes later and finds
   * nothing left to do; done after Redis, each of these steps ended in an unhandled rejection.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closeConnections();
    // Gateways hear a disconnect through an event stream: let it reach them before waiting on their work.
    await new Promise((resolve) => setImmediate(resolve));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.closingWork.map((wait) => wait())),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_SETTLE_MS))),
    ]);
    clearTimeout(timer);
    await Promise.allSettled([...this.namespaces.values()].map(async (nsp) => nsp.adapter.close()));
  }

  onApplicationShutdown(): void {
    for (const { timer } of this.windows.values()) clearTimeout(timer);
    this.windows.clear();
    for (const waiting of this.away.values()) for (const { timer } of waiting.values()) clearTimeout(timer);
    this.away.clear();
    for (const socket of [...this.cleanups.keys()]) this.disconnected(socket);
  }
}

function errorData(error: AppError): Record<string, unknown> {
  return { code: error.code, detail: error.message, ...(error.details ?? {}) };
}
