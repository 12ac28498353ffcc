import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { HubGateway, RealtimeGateway } from '../../../infrastructure/websocket/realtime-gateway.js';
import type { NamespacePolicy } from '../../../infrastructure/websocket/realtime-hub.service.js';
import {
  MarketSubscribeRequestDto,
  MarketUnsubscribeRequestDto,
} from '../dto/market-subscription.request.dto.js';
import { MARKET_NAMESPACE, MarketRooms } from './market-rooms.js';

/**
 * Market rooms one socket may be in, all subscriptions together: one message may name 9 commodities at 200
 * stations, and without a total, repeated messages would grow a socket's rooms (and every fan-out's lookups)
 * without end.
 */
export const MAX_MARKET_ROOMS = 1000;

/**
 * /market: live prices for any authenticated user. market_subscribe {commodities, station_ids?} joins rooms;
 * market_update arrives coalesced per station and commodity (MarketUpdatesRelay), market_halt for a halt or
 * resume of all trading or of a subscribed commodity (MarketHaltsRelay). Market data is public to
 * every pilot, so no per-player check beyond authentication.
 */
@RealtimeGateway(MARKET_NAMESPACE)
export class MarketGateway extends HubGateway {
  protected policy(): NamespacePolicy {
    return { admit: () => undefined, events: ['market_subscribe', 'market_unsubscribe'] };
  }

  @SubscribeMessage('market_subscribe')
  subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: MarketSubscribeRequestDto) {
    const rooms = body.station_ids?.length
      ? body.commodities.flatMap((c) => body.station_ids!.map((s) => MarketRooms.station(c, s)))
      : body.commodities.map((c) => MarketRooms.commodity(c));
    const fresh = [...new Set(rooms)].filter((r) => !socket.rooms.has(r));
    const held = [...socket.rooms].filter((r) => r.startsWith('market:')).length;
    if (held + fresh.length > MAX_MARKET_ROOMS) {
      throw new AppError(
        'MARKET.TOO_MANY_SUBSCRIPTIONS',
        400,
        `A socket may hold at most ${MAX_MARKET_ROOMS} market subscriptions (a commodity, or a commodity at one station); it holds ${held}`,
        { limit: MAX_MARKET_ROOMS, held },
      );
    }
    void socket.join(fresh);
    this.syncHaltRooms(socket);
    return this.hub.ackSuccess(socket, 'market_subscribed', this.subscriptions(socket));
  }

  @SubscribeMessage('market_unsubscribe')
  unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: MarketUnsubscribeRequestDto) {
    for (const room of [...socket.rooms]) {
      if (!room.startsWith('market:')) continue;
      const [, commodity, station] = room.split(':');
      const commodityMatches = !body.commodities || body.commodities.includes(commodity as never);
      const stationMatches =
        !body.station_ids || (station !== undefined && body.station_ids.includes(station));
      if (commodityMatches && stationMatches) void socket.leave(room);
    }
    this.syncHaltRooms(socket);
    return this.hub.ackSuccess(socket, 'market_unsubscribed', this.subscriptions(socket));
  }

  /** The socket is in a commodity's halt room while it is subscribed to the commodity anywhere. */
  private syncHaltRooms(socket: Socket): void {
    const subscribed = new Set(
      [...socket.rooms].filter((r) => r.startsWith('market:')).map((r) => r.split(':')[1]!),
    );
    const wanted = new Set([...subscribed].map((c) => MarketRooms.halts(c)));
    const held = [...socket.rooms].filter((r) => r.startsWith(MarketRooms.halts('')));
    for (const room of held) if (!wanted.has(room)) void socket.leave(room);
    void socket.join([...wanted].filter((r) => !socket.rooms.has(r)));
  }

  private subscriptions(socket: Socket) {
    const rooms = [...socket.rooms].filter((r) => r.startsWith('market:')).map((r) => r.split(':'));
    return {
      commodities: rooms.filter((r) => r.length === 2).map((r) => r[1]),
      stations: rooms.filter((r) => r.length === 3).map((r) => ({ commodity: r[1], station_id: r[2] })),
    };
  }
}
