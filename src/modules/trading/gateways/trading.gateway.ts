import { CommandBus } from '@nestjs/cqrs';
import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { CommonErrors } from '../../../infrastructure/errors/common.errors.js';
import {
  HubGateway,
  playersOnly,
  RealtimeGateway,
} from '../../../infrastructure/websocket/realtime-gateway.js';
import { RealtimeHub, type NamespacePolicy } from '../../../infrastructure/websocket/realtime-hub.service.js';
import { actorOf } from '../../../infrastructure/websocket/ws-session.js';
import { ExecuteTradeCommand } from '../commands/execute-trade.command.js';
import { crossFieldProblems, toTradeRequest } from '../dto/trade.request.dto.js';
import { TradingCommandRequestDto } from '../dto/trading-command.request.dto.js';
import { TRADING_NAMESPACE } from './market-rooms.js';

/**
 * /trading: players trade over the socket. trading_command {trade fields, idempotency_key} runs the same
 * ExecuteTradeCommand as POST /trading/trades (same rules, same exactly-once key space) and answers the ack
 * {success: true, data: trade, replayed} or {success: false, error: {code, detail}}. trading_signal is pushed to
 * the player's own sockets: {type: 'trade_executed', ...} and {type: 'automation_update', rule, trade?}
 * (TradingSignalsRelay), and {type: 'ai_alert', alert} (ARIA's relay).
 */
@RealtimeGateway(TRADING_NAMESPACE)
export class TradingGateway extends HubGateway {
  constructor(
    hub: RealtimeHub,
    private readonly commandBus: CommandBus,
  ) {
    super(hub);
  }

  // Sockets join the player's own room on connect: that is where trading_signal goes.
  protected policy(): NamespacePolicy {
    return { admit: playersOnly(TRADING_NAMESPACE), events: ['trading_command'] };
  }

  @SubscribeMessage('trading_command')
  async trade(@ConnectedSocket() socket: Socket, @MessageBody() body: TradingCommandRequestDto) {
    const problems = crossFieldProblems(body);
    if (Object.keys(problems).length > 0) {
      throw CommonErrors.validation(`Invalid value for ${Object.keys(problems).join(', ')}`, problems);
    }
    const result = await this.commandBus.execute(
      new ExecuteTradeCommand(actorOf(socket), toTradeRequest(body), body.idempotency_key),
    );
    return this.hub.ackSuccess(socket, 'trade_result', { ...result.trade, replayed: result.replayed });
  }
}
