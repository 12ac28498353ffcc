import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RealtimeHub } from '../../infrastructure/websocket/realtime-hub.service.js';
import type { AuthUser } from '../auth/domain/actor.js';
import { AuthErrors } from '../auth/domain/auth.errors.js';

/**
 * Refuses the Socket.IO handshake of a banned player. A ban kicks the player's sockets and refuses its refresh
 * token, but its access token stays valid until it expires: without this check the client would simply
 * reconnect. One primary-key read per player handshake (recoveries included); staff handshakes read nothing.
 */
@Injectable()
export class PlayerAdmission implements OnModuleInit {
  constructor(
    private readonly hub: RealtimeHub,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.hub.useAdmission((user) => this.check(user));
  }

  async check(user: AuthUser) {
    if (!user.playerId) return undefined;
    const [row] = (await this.dataSource.query(`SELECT status, ban_until FROM players WHERE id = $1`, [
      user.playerId,
    ])) as { status: string; ban_until: Date | null }[];
    if (!row) return AuthErrors.tokenInvalid(); // the player is gone
    if (row.status === 'banned' && (row.ban_until === null || row.ban_until > new Date())) {
      return AuthErrors.playerBanned(row.ban_until);
    }
    return undefined;
  }
}
