import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { isPresenceUnavailable } from '../../infrastructure/presence/presence.errors.js';
import { PresenceService } from '../../infrastructure/presence/presence.service.js';
import { playerRoom, RealtimeHub } from '../../infrastructure/websocket/realtime-hub.service.js';
import { AdminFeed } from './admin-feed.service.js';
import { PLAYER_NAMESPACE } from './player-channel.service.js';

/**
 * /player sockets drive online presence: a connect or heartbeat renews the player's entry (TTL
 * PRESENCE_SOCKET_TTL_SECONDS, renewed for every local player every third of it, so a dead node's players
 * expire), and the player's last socket in the cluster leaving removes it. Coming online and going
 * offline reach /admin as player_update login / logout.
 */
@Injectable()
export class PlayerPresenceTracker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PlayerPresenceTracker.name);
  private readonly local = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private readonly ttlMs: number;
  /** Disconnects still settling presence (awaited at shutdown, before Redis closes). */
  private readonly settling = new Set<Promise<void>>();

  constructor(
    private readonly presence: PresenceService,
    private readonly hub: RealtimeHub,
    private readonly feed: AdminFeed,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlMs = config.presenceSocketTtlSeconds * 1000;
  }

  onApplicationBootstrap(): void {
    // A node shutting down drops its connections first (see RealtimeHub.beforeApplicationShutdown) and waits
    // for this: the disconnects settle presence while Redis is still there, so players with no socket left
    // elsewhere go offline now, not on their TTL.
    this.hub.beforeClosing(() => Promise.allSettled([...this.settling]).then(() => undefined));
    this.timer = setInterval(() => void this.renewAll(), Math.max(1000, this.ttlMs / 3));
    this.timer.unref();
  }

  /** Before any shutdown hook closes Redis: a timer firing while it quits left commands that failed unheard. */
  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async connected(playerId: string): Promise<void> {
    this.local.set(playerId, (this.local.get(playerId) ?? 0) + 1);
    try {
      if (await this.presence.touch(playerId, this.ttlMs))
        this.feed.playerUpdate(playerId, 'login', { source: 'socket', at: new Date().toISOString() });
    } catch (err) {
      this.failed(err, playerId, 'Could not record presence on connect');
    }
  }

  async heartbeat(playerId: string): Promise<void> {
    try {
      await this.presence.touch(playerId, this.ttlMs);
    } catch (err) {
      this.failed(err, playerId, 'Could not renew presence');
    }
  }

  async disconnected(playerId: string): Promise<void> {
    const work = this.settle(playerId);
    this.settling.add(work);
    try {
      await work;
    } finally {
      this.settling.delete(work);
    }
  }

  private async settle(playerId: string): Promise<void> {
    const left = (this.local.get(playerId) ?? 1) - 1;
    if (left > 0) {
      this.local.set(playerId, left);
      return;
    }
    this.local.delete(playerId);
    try {
      const nsp = this.hub.namespace(PLAYER_NAMESPACE);
      // Other nodes may still hold a socket of this player (the adapter asks them all).
      const elsewhere = nsp ? (await nsp.in(playerRoom(playerId)).fetchSockets()).length : 0;
      if (elsewhere > 0 || this.local.has(playerId)) return;
      // Its last sockets on two nodes closing together: each node finds none elsewhere (a closing socket has
      // left its rooms), and only the one that removed the entry tells of the logout.
      if (await this.presence.remove(playerId))
        this.feed.playerUpdate(playerId, 'logout', { source: 'socket', at: new Date().toISOString() });
    } catch (err) {
      // Unknown: leave the entry to expire on its TTL rather than show a connected player offline.
      this.failed(err, playerId, 'Could not settle presence on disconnect');
    }
  }

  /**
   * A presence write that failed. While Redis is away every one of them fails (each connect, heartbeat and
   * disconnect, and each local player at every renewal: thousands a minute on a busy node), and the outage is
   * already logged once, by RedisAvailability, as it starts and as it ends: those are debug lines. Anything else
   * is a warning.
   */
  private failed(err: unknown, playerId: string, message: string): void {
    if (isPresenceUnavailable(err)) this.logger.debug({ playerId }, message);
    else this.logger.warn({ err, playerId }, message);
  }

  private async renewAll(): Promise<void> {
    await Promise.all([...this.local.keys()].map((id) => this.heartbeat(id)));
  }
}
