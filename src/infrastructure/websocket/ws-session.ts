import type { Socket } from 'socket.io';
import type { Actor, AuthUser } from '../../modules/auth/domain/actor.js';

/**
 * What the server keeps per session in `socket.data` (so Socket.IO connection state recovery restores it
 * with the socket): the identity from the token and the key every message to this socket is signed with.
 */
export interface SocketSession {
  sessionId: string;
  /** 32 random bytes, base64url; handed to the client once, in connection_established. */
  sessionKey: string;
  user: AuthUser;
  /** Epoch ms at which the access token expires; the socket is disconnected then. */
  tokenExpiresAt: number;
  /**
   * The client's address, by TRUST_PROXY's rule as for an HTTP request (see RealtimeHub.clientIp), taken at this
   * connection's handshake (a recovered session takes the new connection's).
   */
  clientIp: string;
}

export interface SocketData {
  session?: SocketSession;
  /** /admin: update types this socket wants (null: all). */
  topics?: string[] | null;
  /** Recovered by Socket.IO but under another user's token: treated as a new connection (see authenticate). */
  restarted?: boolean;
}

export type AppSocket = Socket<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  SocketData
>;

export function sessionOf(socket: Socket): SocketSession {
  const session = (socket.data as SocketData).session;
  if (!session) throw new Error('socket has no session (the handshake middleware did not run)');
  return session;
}

/** Who acts through the socket, for commands and audit rows: its user, session id (the request id) and client ip. */
export function actorOf(socket: Socket): Actor {
  const { user, sessionId, clientIp } = sessionOf(socket);
  return { ...user, requestId: sessionId, ip: clientIp };
}
