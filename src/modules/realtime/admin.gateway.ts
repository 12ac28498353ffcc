import { Logger } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { RealtimeGateway } from '../../infrastructure/websocket/realtime-gateway.js';
import { RealtimeHub } from '../../infrastructure/websocket/realtime-hub.service.js';
import { WsErrors } from '../../infrastructure/websocket/ws.errors.js';
import type { SocketData } from '../../infrastructure/websocket/ws-session.js';
import { RequirePermissions } from '../auth/decorators.js';
import { hasPermissions, Permission } from '../auth/domain/roles.js';
import { GetRealtimeAnalyticsQuery } from '../players/queries/get-realtime-analytics.query.js';
import { ADMIN_NAMESPACE } from './admin-feed.service.js';
import { Rooms } from './domain/player-update.js';
import {
  MAX_WATCHED_PLAYERS,
  SubscribeRequestDto,
  UnsubscribeRequestDto,
} from './dto/subscribe.request.dto.js';
import { PLAYER_NAMESPACE } from './player-channel.service.js';
import { AppError } from '../../infrastructure/errors/app-error.js';
import { UnavailableResponses } from '../../infrastructure/errors/unavailable-responses.js';
import { isExpectedUnavailability } from '../../infrastructure/http/error-response.js';

const WATCH_PREFIX = Rooms.watchPlayer('');

/** /admin: the analytics feed for staff who may view players (moderator, admin, superadmin). */
@RealtimeGateway(ADMIN_NAMESPACE)
export class AdminGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(AdminGateway.name);

  constructor(
    private readonly hub: RealtimeHub,
    private readonly queryBus: QueryBus,
    private readonly unavailable: UnavailableResponses,
  ) {}

  afterInit(nsp: Namespace): void {
    this.hub.attach(nsp, {
      admit: (user) =>
        hasPermissions(user.role, [Permission.PlayersView])
          ? undefined
          : WsErrors.forbiddenNamespace(ADMIN_NAMESPACE, user.role, Permission.PlayersView),
      events: ['subscribe', 'unsubscribe'],
    });
  }

  async handleConnection(socket: Socket): Promise<void> {
    if (!socket.data.session) return; // refused by the handshake middleware
    const { recovered } = this.hub.connected(socket);
    if (!recovered) (socket.data as SocketData).topics = null;
    // A fresh (or recovered) console gets the current picture; missed deltas are not replayed.
    try {
      const metrics = await this.queryBus.execute(new GetRealtimeAnalyticsQuery());
      if (!socket.connected) return;
      this.hub.send(socket, 'initial_state', {
        metrics,
        online: {
          players_online: metrics.players_online,
          this_node: {
            admin_sockets: this.hub.localCount(ADMIN_NAMESPACE),
            player_sockets: this.hub.localCount(PLAYER_NAMESPACE),
          },
        },
        subscriptions: this.subscriptions(socket),
        recovered,
      });
    } catch (err) {
      const answer = new AppError(
        'ANALYTICS.UNAVAILABLE',
        503,
        'Initial metrics are unavailable',
        undefined,
        { cause: err },
      );
      // The database or Redis away: told as any expected 503 is (once, not once per console that connects).
      // Anything else is a failure to look at.
      if (isExpectedUnavailability(err))
        this.unavailable.tell(answer, { transport: 'socket', namespace: ADMIN_NAMESPACE, event: 'connect' });
      else this.logger.error({ err }, 'Could not send the initial state');
      this.hub.sendError(socket, answer);
    }
  }

  handleDisconnect(socket: Socket): void {
    this.hub.disconnected(socket);
  }

  @SubscribeMessage('subscribe')
  @RequirePermissions(Permission.PlayersView)
  subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: SubscribeRequestDto) {
    if (body.players === 'all') void socket.join(Rooms.watchAll);
    else {
      const watched = this.watchedIds(socket);
      // Rooms are named by the lower-case id the events carry: an id in capitals must join the same one.
      const fresh = [...new Set(body.players.map((id) => id.toLowerCase()))].filter(
        (id) => !watched.includes(id),
      );
      if (watched.length + fresh.length > MAX_WATCHED_PLAYERS) {
        throw new AppError(
          'REALTIME.TOO_MANY_SUBSCRIPTIONS',
          400,
          `A socket may watch at most ${MAX_WATCHED_PLAYERS} players by id; subscribe to "all" instead`,
        );
      }
      void socket.join(fresh.map((id) => Rooms.watchPlayer(id)));
    }
    if (body.topics !== undefined) (socket.data as SocketData).topics = body.topics;
    return this.hub.envelope(socket, 'subscribed', this.subscriptions(socket));
  }

  @SubscribeMessage('unsubscribe')
  @RequirePermissions(Permission.PlayersView)
  unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: UnsubscribeRequestDto) {
    const players = body.players;
    if (players === undefined || players === 'all') void socket.leave(Rooms.watchAll);
    if (players === undefined) {
      for (const id of this.watchedIds(socket)) void socket.leave(Rooms.watchPlayer(id));
      (socket.data as SocketData).topics = null;
    } else if (players !== 'all') {
      for (const id of players) void socket.leave(Rooms.watchPlayer(id.toLowerCase()));
    }
    return this.hub.envelope(socket, 'unsubscribed', this.subscriptions(socket));
  }

  private watchedIds(socket: Socket): string[] {
    return [...socket.rooms]
      .filter((r) => r.startsWith(WATCH_PREFIX))
      .map((r) => r.slice(WATCH_PREFIX.length));
  }

  private subscriptions(socket: Socket) {
    return {
      all: socket.rooms.has(Rooms.watchAll),
      players: this.watchedIds(socket),
      topics: (socket.data as SocketData).topics ?? null,
    };
  }
}
