import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import { SessionAwareAdapter } from 'socket.io-adapter';
import type { AppConfig } from '../../config/app-config.js';
import { outageCause } from '../database/database-errors.js';

type IoServerOptions = Parameters<IoAdapter['createIOServer']>[1];
type IoServer = ReturnType<IoAdapter['createIOServer']>;

/** How long a dropped client may come back with its session, rooms and missed broadcasts. */
const RECOVERY_WINDOW_MS = 2 * 60_000;

/** What the bounded recovery buffer reports (MetricsService implements it). */
export interface RecoveryBufferObserver {
  /** Registers a namespace's buffer so that its size can be read when metrics are scraped. */
  trackRecoveryBuffer(namespace: string, size: () => number): void;
  /** Packets dropped from a namespace's buffer to keep it under the ceiling. */
  recoveryPacketsEvicted(namespace: string, count: number): void;
}

/**
 * Socket.IO's in-memory session-aware adapter (connection state recovery on one node) with a ceiling on its
 * buffer. The stock one keeps every non-volatile packet for the whole recovery window, and here a packet is one
 * socket's (each is signed for its session): a few hundred admins watching a busy game would make it millions
 * of packets, and every recovering client scans them all. Past `maxPackets` in a namespace the oldest tenth
 * goes at once (one splice per many packets). A client whose last packet was dropped cannot recover: it gets a
 * new session and a fresh initial state, as one that stayed away longer than the window does.
 */
export function boundedRecoveryAdapter(maxPackets: number, observer?: RecoveryBufferObserver) {
  return class BoundedSessionAwareAdapter extends SessionAwareAdapter {
    private readonly buffer: unknown[];

    constructor(nsp: { name: string }) {
      super(nsp);
      // The stock class's own array (private in its typings), the one restoreSession reads.
      this.buffer = (this as unknown as { packets: unknown[] }).packets;
      observer?.trackRecoveryBuffer(nsp.name, () => this.buffer.length);
    }

    override broadcast(...args: Parameters<SessionAwareAdapter['broadcast']>): void {
      super.broadcast(...args);
      if (this.buffer.length <= maxPackets) return;
      const drop = this.buffer.length - maxPackets + Math.ceil(maxPackets / 10);
      this.buffer.splice(0, drop);
      observer?.recoveryPacketsEvicted((this.nsp as { name: string }).name, drop);
    }
  };
}

type AdapterFactory = ReturnType<typeof createAdapter>;

/**
 * The Redis adapter with an idempotent close: the hub closes it at shutdown while Redis is still up (its close
 * publishes that the node leaves), and Socket.IO's own close, after Redis has gone, must not publish again.
 * `afterLast` runs once the adapter of every namespace it made has closed.
 */
function closeOnce(make: AdapterFactory, afterLast: () => void): AdapterFactory {
  let open = 0;
  return function (nsp) {
    const adapter = make(nsp);
    open += 1;
    const close = adapter.close.bind(adapter);
    let closed: ReturnType<typeof close> | undefined;
    adapter.close = () => {
      if (closed) return closed;
      closed = close();
      if (--open === 0) afterLast();
      return closed;
    };
    return adapter;
  } as AdapterFactory;
}

/** The Socket.IO adapter of a node with REDIS_URL: Redis Streams under `prefix`, on `redis`'s connection. */
export function redisStreamsAdapter(redis: Redis, prefix: string, log: Logger): AdapterFactory {
  const duplicates = new Set<Redis>();
  // The adapter disconnects the connections it got going; one still waiting for Redis (connectedOnceReady)
  // would otherwise go on retrying after the node closed, holding the process open.
  const stopWaiting = () => {
    for (const client of duplicates) if (client.status !== 'ready') client.disconnect();
  };
  return closeOnce(
    createAdapter(withHandledFireAndForget(redis, log, duplicates), {
      streamName: `${prefix}socket.io`,
      channelPrefix: `${prefix}socket.io`,
      sessionKeyPrefix: `${prefix}sio:session:`,
      // Short blocking reads so a closing node releases its Redis connections quickly.
      blockTimeInMs: 1000,
      maxLen: 10_000,
      onlyPlaintext: true,
    }),
    stopWaiting,
  );
}

/**
 * The Redis client as the Streams adapter sees it. @socket.io/redis-streams-adapter 0.3.1 issues two commands
 * without waiting on them: the PUBLISH of an ephemeral message (every serverSideEmit, so every cross-node
 * fan-out) and the SET that stores a dropped client's session. With Redis away longer than ioredis' retries they
 * reject with nobody listening, an unhandled rejection for each. Through this view both come back with the
 * rejection already handled (a warning with the cause; the node only sends them while its Redis connection is
 * up, so these are the few in flight as Redis goes); a caller that awaits them still sees it. The clients it
 * duplicates (its subscriber and stream readers) get the same for what ioredis itself sends unawaited (see
 * withHandledResubscribe), and a connect() that waits for Redis (see connectedOnceReady); each goes into
 * `duplicates`. Everything else passes through.
 */
export function withHandledFireAndForget(redis: Redis, log: Logger, duplicates = new Set<Redis>()): Redis {
  const unawaited = new Set<PropertyKey>(['publish', 'spublish', 'set']);
  return new Proxy(redis, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop === 'duplicate' && typeof value === 'function')
        return (...args: unknown[]) => {
          const client = connectedOnceReady(
            withHandledResubscribe(value.apply(target, args) as Redis, log),
            log,
          );
          duplicates.add(client);
          return client;
        };
      if (!unawaited.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        if (result instanceof Promise)
          result.catch((err: unknown) =>
            // The cause in a line, as for every Redis failure: the stack is ioredis' own, the same every time.
            log.warn(
              { cause: outageCause(err), command: String(prop) },
              'A Socket.IO adapter command to Redis failed',
            ),
          );
        return result;
      };
    },
  });
}

/**
 * The adapter connects each duplicate (the node's client is lazyConnect) and only then starts reading its
 * stream and subscribing its channels, with no handler for a failed connect: Redis gone between the node's own
 * connect at boot and the Socket.IO server's start (a restart, a failover, maxclients) rejected it, unhandled,
 * and the node never read or subscribed, even once Redis was back: deaf for good to every other node's
 * broadcasts, kicks and bans. ioredis retries a failed connect by itself; this connect() waits for the first
 * ready instead of rejecting, so the adapter starts when Redis answers. When the node closes first, the
 * duplicate is disconnected (redisStreamsAdapter) and its connect() never settles, which holds nothing.
 */
function connectedOnceReady(client: Redis, log: Logger): Redis {
  const connect = client.connect.bind(client);
  client.connect = () => {
    // Only the adapter's call: ioredis calls connect() itself for each reconnect, and handles those.
    client.connect = connect;
    return connect().catch((err: unknown) => {
      log.warn(
        { cause: outageCause(err) },
        'The Socket.IO adapter could not reach Redis at start: it starts reading when Redis answers',
      );
      return new Promise<void>((resolve) => client.once('ready', () => resolve()));
    });
  };
  return client;
}

/**
 * ioredis re-subscribes a subscriber that reconnected (and re-selects its database) without waiting on the
 * SUBSCRIBE or SELECT. When the node closes just as Redis comes back, the adapter disconnects its subscriber
 * with those in flight and each rejects "Connection is closed.", unhandled (seen at the end of an outage test).
 * The handler goes on the client itself, as ioredis calls these on its own instance, not through any view: the
 * rejection is handled (debug-logged: the adapter is going away, or the next reconnect subscribes again); a
 * caller that awaits them still sees it.
 */
function withHandledResubscribe(client: Redis, log: Logger): Redis {
  const methods = client as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['subscribe', 'psubscribe', 'ssubscribe', 'select']) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = (...args: unknown[]) => {
      const result = original.apply(client, args);
      if (result instanceof Promise)
        result.catch((err: unknown) =>
          log.debug({ err, command: name }, 'A Socket.IO adapter subscription to Redis failed'),
        );
      return result;
    };
  }
  return client;
}

/**
 * The Socket.IO server for every gateway:
 *  - with REDIS_URL the Redis Streams adapter (broadcasts, fetchSockets, disconnectSockets and
 *    serverSideEmit reach every node; it also stores sessions for connection state recovery), keyed under
 *    REDIS_KEY_PREFIX; the in-memory adapter otherwise (which recovers sessions too, on one node), its
 *    recovery buffer bounded by WS_RECOVERY_BUFFER_PACKETS per namespace;
 *  - Origin checked against CORS_ORIGINS in allowRequest, which engine.io runs for polling requests AND for
 *    WebSocket upgrades (the `cors` option only covers polling). A request without an Origin header is not a
 *    browser's and is let through: Origin is a browser protection, the JWT is the authentication.
 */
export class RealtimeIoAdapter extends IoAdapter {
  private readonly log = new Logger(RealtimeIoAdapter.name);

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: Redis | null,
    private readonly recoveryObserver?: RecoveryBufferObserver,
  ) {
    super(app);
  }

  // Typed through IoAdapter: @nestjs/platform-socket.io brings its own copy of socket.io's types.
  override createIOServer(port: number, options?: IoServerOptions): IoServer {
    const allowAny = this.config.corsOrigins.includes('*');
    const allowed = new Set(this.config.corsOrigins);
    const server = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      serveClient: false,
      cors: { origin: allowAny ? true : this.config.corsOrigins, credentials: true },
      allowRequest: (
        req: IncomingMessage,
        callback: (err: string | null | undefined, ok: boolean) => void,
      ) => {
        const origin = req.headers.origin;
        if (origin === undefined || allowAny || allowed.has(origin)) return callback(null, true);
        callback('Origin not allowed', false);
      },
      connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: false },
      pingInterval: 20_000,
      pingTimeout: 20_000,
      maxHttpBufferSize: 64 * 1024,
      ...(this.redis
        ? {}
        : { adapter: boundedRecoveryAdapter(this.config.wsRecoveryBufferPackets, this.recoveryObserver) }),
    } as IoServerOptions);
    if (this.redis) {
      server.adapter(redisStreamsAdapter(this.redis, this.config.redisKeyPrefix, this.log));
      this.log.log('Socket.IO uses the Redis Streams adapter');
    }
    // No gateway serves the main namespace; without this it would hold unauthenticated sockets that no one
    // answers. Refused like an unknown namespace, with a code.
    server.of('/').use((_socket, next) => {
      const refusal = new Error('Connect to one of /admin, /market, /trading, /aria or /player') as Error & {
        data: unknown;
      };
      refusal.data = { code: 'WS.UNKNOWN_NAMESPACE', detail: refusal.message };
      next(refusal);
    });
    return server;
  }
}
