import { HubGateway, playersOnly, RealtimeGateway } from '../../infrastructure/websocket/realtime-gateway.js';
import type { NamespacePolicy } from '../../infrastructure/websocket/realtime-hub.service.js';

export const ARIA_NAMESPACE = '/aria';

/**
 * /aria: the channel of ARIA, the player's AI trading assistant. Today it carries only what every namespace
 * does (handshake authentication, signed envelope, heartbeat, validation and rate limits, kicks through the
 * player's room). ARIA's own messages (predictions, chat) come with the ARIA issue: nothing writes
 * ai_market_predictions yet, so there is nothing honest to push.
 */
@RealtimeGateway(ARIA_NAMESPACE)
export class AriaGateway extends HubGateway {
  protected policy(): NamespacePolicy {
    return { admit: playersOnly(ARIA_NAMESPACE), events: [] };
  }
}
