import { io, Manager, type Socket as ClientSocket } from 'socket.io-client';
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { verifyEnvelope, type Envelope } from '../../src/infrastructure/websocket/envelope.js';
import type { Role } from '../../src/modules/auth/domain/roles.js';
import { TEST_JWT_SECRET } from './test-app.js';

export interface Received {
  event: string;
  envelope: Envelope;
  at: number;
}

/** A socket.io-client connection that records every message and checks every signature. */
export class TestSocket {
  readonly messages: Received[] = [];
  sessionKey?: Buffer;
  badSignatures = 0;
  disconnectReason?: string;

  constructor(readonly socket: ClientSocket) {
    socket.onAny((event: string, payload: Envelope) => {
      if (event === 'connection_established') {
        this.sessionKey = Buffer.from((payload.data as { session_key: string }).session_key, 'base64url');
      }
      if (!this.sessionKey || !verifyEnvelope(payload, this.sessionKey)) this.badSignatures += 1;
      this.messages.push({ event, envelope: payload, at: Date.now() });
    });
    socket.on('disconnect', (reason) => {
      this.disconnectReason = reason;
    });
  }

  of(type: string): Envelope[] {
    return this.messages.filter((m) => m.event === type).map((m) => m.envelope);
  }

  /** Waits for a message of `type` (after `skip` earlier ones) matching `match`. */
  async next(
    type: string,
    match: (e: Envelope) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Envelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m) => m.event === type && match(m.envelope));
      if (found) return found.envelope;
      if (Date.now() > deadline) {
        throw new Error(
          `no ${type} message within ${timeoutMs} ms; got ${this.messages.map((m) => m.event).join(', ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Emits with an ack and resolves with the ack's envelope. */
  request(event: string, body?: unknown): Promise<Envelope> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 5000);
      this.socket.emit(event, body, (response: Envelope) => {
        clearTimeout(timer);
        resolve(response);
      });
    });
  }

  async waitDisconnected(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.socket.connected || this.disconnectReason === undefined) {
      if (Date.now() > deadline) throw new Error('socket still connected');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.disconnectReason;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export interface ConnectOptions {
  transports?: ('websocket' | 'polling')[];
  origin?: string;
  auth?: Record<string, unknown>;
  /** Reconnect automatically (for connection state recovery tests). */
  reconnection?: boolean;
  /** More request headers on the handshake (X-Forwarded-For, as a proxy in front would add). */
  headers?: Record<string, string>;
}

function open(url: string, namespace: string, token: string | undefined, opts: ConnectOptions = {}) {
  return io(`${url}${namespace}`, {
    auth: opts.auth ?? (token === undefined ? {} : { token }),
    transports: opts.transports ?? ['websocket'],
    reconnection: opts.reconnection ?? false,
    reconnectionDelay: 100,
    forceNew: true,
    timeout: 5000,
    extraHeaders:
      opts.origin || opts.headers
        ? { ...opts.headers, ...(opts.origin ? { origin: opts.origin } : {}) }
        : undefined,
  });
}

/** Connects and waits for connection_established. */
export async function connectSocket(
  url: string,
  namespace: string,
  token: string,
  opts: ConnectOptions = {},
): Promise<TestSocket> {
  const client = new TestSocket(open(url, namespace, token, opts));
  await new Promise<void>((resolve, reject) => {
    client.socket.once('connect_error', (err) => reject(err));
    client.socket.once('connect', () => resolve());
  });
  await client.next('connection_established');
  return client;
}

/**
 * One WebSocket connection carrying several namespace sockets, as a game client multiplexes them (one Manager);
 * resolves when each has its connection_established.
 */
export async function connectMultiplexed(
  url: string,
  namespaces: string[],
  token: string,
): Promise<TestSocket[]> {
  const manager = new Manager(url, { transports: ['websocket'], reconnection: false, timeout: 5000 });
  return Promise.all(
    namespaces.map(async (ns) => {
      const client = new TestSocket(manager.socket(ns, { auth: { token } }));
      await new Promise<void>((resolve, reject) => {
        client.socket.once('connect_error', (err) => reject(err));
        client.socket.once('connect', () => resolve());
      });
      await client.next('connection_established');
      return client;
    }),
  );
}

/** Connects expecting a refusal; resolves with the connect_error (message and data {code, detail}). */
export function refusedHandshake(
  url: string,
  namespace: string,
  token: string | undefined,
  opts: ConnectOptions = {},
): Promise<{ message: string; data?: { code: string; detail: string } }> {
  const socket = open(url, namespace, token, opts);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.disconnect();
      reject(new Error('connected, but a refusal was expected'));
    });
    socket.once('connect_error', (err: Error & { data?: { code: string; detail: string } }) => {
      socket.disconnect();
      resolve({ message: err.message, data: err.data });
    });
  });
}

/** An access token signed like the server's, with custom claims or lifetime (expired, short-lived...). */
export function craftToken(
  claims: { sub?: string; usr?: string; role?: Role | string; pid?: string | null },
  opts: { expiresInSeconds?: number; secret?: string; issuer?: string } = {},
): string {
  const expiresIn = opts.expiresInSeconds ?? 900;
  const payload: Record<string, unknown> = {
    sub: claims.sub ?? randomUUID(),
    usr: claims.usr ?? 'crafted',
    role: claims.role ?? 'player',
    pid: claims.pid === undefined ? randomUUID() : claims.pid,
  };
  if (expiresIn <= 0) payload.exp = Math.floor(Date.now() / 1000) + expiresIn - 1;
  return jwt.sign(payload, opts.secret ?? TEST_JWT_SECRET, {
    algorithm: 'HS256',
    issuer: opts.issuer ?? 'sectorwars-gameserver',
    audience: 'sectorwars-clients',
    ...(expiresIn > 0 ? { expiresIn } : {}),
  });
}
