import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { AssetsChangedEvent } from '../../assets/events/assets-changed.event.js';
import { BulkOperationProgressEvent } from '../../bulk-ops/events/bulk-operation-progress.event.js';
import { PlayerMessageSentEvent } from '../../bulk-ops/events/player-message-sent.event.js';
import { EmergencyActionTakenEvent } from '../../emergency/events/emergency-action-taken.event.js';
import { PlayerKickedEvent } from '../../emergency/events/player-kicked.event.js';
import { InterventionChangedEvent } from '../../interventions/events/intervention-changed.event.js';
import { Permission } from '../../auth/domain/roles.js';
import { AdminFeed } from '../admin-feed.service.js';
import { PlayerChannel } from '../player-channel.service.js';

type AdminOperationEvent =
  | AssetsChangedEvent
  | PlayerKickedEvent
  | EmergencyActionTakenEvent
  | BulkOperationProgressEvent
  | PlayerMessageSentEvent
  | InterventionChangedEvent;

/**
 * The admin-operations modules' events onto the sockets: assets_changed and admin messages to the player,
 * kicks disconnecting every socket of the player on every node, and bulk progress, emergency actions and
 * intervention changes on /admin, each to the roles with the permission its REST read needs (bulk progress:
 * bulk:operate, as GET bulk-operations/{id}/status; emergency actions: players:view, as a player's emergency
 * history; interventions: interventions:manage, as the queue). The events carry everything needed: no database
 * query per event.
 */
@EventsHandler(
  AssetsChangedEvent,
  PlayerKickedEvent,
  EmergencyActionTakenEvent,
  BulkOperationProgressEvent,
  PlayerMessageSentEvent,
  InterventionChangedEvent,
)
export class AdminOperationsRealtimeHandler implements IEventHandler<AdminOperationEvent> {
  private readonly logger = new Logger(AdminOperationsRealtimeHandler.name);

  constructor(
    private readonly feed: AdminFeed,
    private readonly players: PlayerChannel,
  ) {}

  async handle(event: AdminOperationEvent): Promise<void> {
    try {
      if (event instanceof AssetsChangedEvent) {
        const data = {
          kind: event.kind,
          changes: event.changes,
          counterparty_id: event.counterpartyId,
          reason: event.reason,
        };
        this.players.notify(event.playerId, 'assets_changed', data);
        this.feed.playerUpdate(event.playerId, 'assets', { ...data, actor_id: event.actorId });
      } else if (event instanceof PlayerKickedEvent) {
        await this.players.disconnect(event.playerId, event.reason);
      } else if (event instanceof EmergencyActionTakenEvent) {
        this.feed.publish(Permission.PlayersView, 'emergency_action', {
          action_id: event.actionId,
          player_id: event.playerId,
          action: event.action,
          result_status: event.resultStatus,
          result_details: event.resultDetails,
          reason: event.reason,
          actor_id: event.actorId,
        });
      } else if (event instanceof BulkOperationProgressEvent) {
        this.feed.publish(Permission.BulkOperations, 'bulk_operation_progress', {
          operation_id: event.operationId,
          operation_type: event.operationType,
          status: event.status,
          progress: event.progress,
          counts: event.counts,
          admin_id: event.adminId,
        });
      } else if (event instanceof PlayerMessageSentEvent) {
        this.players.notify(event.playerId, 'admin_message', {
          message: event.message,
          operation_id: event.operationId,
        });
      } else {
        this.feed.publish(Permission.Interventions, 'intervention_update', {
          intervention_id: event.interventionId,
          change: event.change,
          player_id: event.playerId,
          status: event.status,
          priority: event.priority,
          category: event.category,
          assigned_to: event.assignedTo,
          version: event.version,
          automatic: event.automatic,
          actor_id: event.actorId,
        });
      }
    } catch (err) {
      this.logger.warn({ err, event: event.constructor.name }, 'Could not relay an admin-operations event');
    }
  }
}
