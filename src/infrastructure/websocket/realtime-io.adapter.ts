import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../../config/app-config.js';

type IoServerOptions = Parameters<IoAdapter['createIOServer']>[1];
type IoServer = ReturnType<IoAdapter['createIOServer']>;

/** How long a dropped client may come back with its session, rooms and missed broadcasts. */
const RECOVERY_WINDOW_MS = 2 * 60_000;

/**
 * The Socket.IO server for every gateway:
 *  - with REDIS_URL the Redis Streams adapter (broadcasts, fetchSockets, disconnectSockets and
 *    serverSideEmit reach every node; it also stores sessions for connection state recovery), keyed under
 *    REDIS_KEY_PREFIX; the in-memory adapter otherwise (which recovers sessions too, on one node);
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
    } as IoServerOptions);
    if (this.redis) {
      const prefix = this.config.redisKeyPrefix;
      server.adapter(
        createAdapter(this.redis, {
          streamName: `${prefix}socket.io`,
          channelPrefix: `${prefix}socket.io`,
          sessionKeyPrefix: `${prefix}sio:session:`,
          // Short blocking reads so a closing node releases its Redis connections quickly.
          blockTimeInMs: 1000,
          maxLen: 10_000,
          onlyPlaintext: true,
        }),
      );
      this.log.log('Socket.IO uses the Redis Streams adapter');
    }
    return server;
  }
}
