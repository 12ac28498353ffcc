import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on a port of its own in front of a server (`target` is its URL), for taking that server away
 * from an app and giving it back, as a restart or a network cut would, without touching the server itself.
 * `down()` ends every connection through it and stops listening (new connections are refused);
 * `blackhole()` leaves the clients' side open and silent; `up()` listens on the same port again (or ends the
 * silent connections, so that the clients reconnect through it, forwarding again).
 */
export interface TcpRelay {
  /** `target` with the relay's host and port. */
  url: string;
  down(): Promise<void>;
  /**
   * A partition, or a host that died without closing anything: ends the connections on the server's side
   * (the server sees its clients go) and, on the client's side, keeps them open, reads what comes and
   * answers nothing; new connections get the same.
   */
  blackhole(): void;
  up(): Promise<void>;
  close(): Promise<void>;
  /** How many client connections it has accepted so far. */
  accepted(): number;
}

export async function tcpRelay(target: string, defaultPort: number): Promise<TcpRelay> {
  const upstream = new URL(target);
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.on('error', () => undefined);
    s.on('close', () => open.delete(s));
  };
  /** Each forwarded client connection and its connection to the server. */
  const pairs = new Map<Socket, Socket>();
  let swallowing = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    track(client);
    if (swallowing) return void client.on('data', () => undefined);
    const peer = tcpConnect(Number(upstream.port || defaultPort), upstream.hostname);
    track(peer);
    pairs.set(client, peer);
    client.on('close', () => {
      pairs.delete(client);
      peer.destroy();
    });
    peer.on('close', () => {
      if (!swallowing) client.destroy();
    });
    client.pipe(peer);
    peer.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of open) s.destroy();
    });
  await listen(0);
  const port = (server.address() as { port: number }).port;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  let listening = true;
  return {
    url: url.toString(),
    down: async () => {
      if (!listening) return;
      listening = false;
      await stop();
    },
    blackhole: () => {
      swallowing = true;
      for (const [client, peer] of pairs) {
        client.unpipe(peer);
        client.on('data', () => undefined); // read and drop: no reply, no back-pressure
        peer.destroy();
      }
    },
    up: async () => {
      swallowing = false;
      if (listening) {
        // Out of a blackhole: drop the stalled connections so that the clients reconnect.
        for (const s of open) s.destroy();
        return;
      }
      await listen(port);
      listening = true;
    },
    close: async () => {
      if (listening) await stop();
      listening = false;
    },
    accepted: () => accepted,
  };
}
