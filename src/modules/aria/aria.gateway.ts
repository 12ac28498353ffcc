import { HubGateway, playersOnly, RealtimeGateway } from '../../infrastructure/websocket/realtime-gateway.js';
import type { NamespacePolicy } from '../../infrastructure/websocket/realtime-hub.service.js';

export const ARIA_NAMESPACE = '/aria';

/**
 * /aria: the channel of ARIA, the player's AI trading assistant. Today it carries only what every namespace
 * does (handshake authentication, signed envelope, heartbeat, validation and rate limits, kicks through the
 * player's room). ARIA's output goes elsewhere for now: AriaPredictionService writes ai_market_predictions
 * (shown by the market REST reads and the /market market_update), and its alerts reach the market's recent
 * traders as trading_signal {type: 'ai_alert'} on /trading (AriaAlertsRelay). Chat is still to come.
 */
@RealtimeGateway(ARIA_NAMESPACE)
export class AriaGateway extends HubGateway {
  protected policy(): NamespacePolicy {
    return { admit: playersOnly(ARIA_NAMESPACE), events: [] };
  }
}
