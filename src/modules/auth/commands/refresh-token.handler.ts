import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { parseRefreshToken, secretMatches } from '../domain/refresh-token.js';
import { AuthErrors } from '../domain/auth.errors.js';
import type { Role } from '../domain/roles.js';
import { TokenService } from '../token.service.js';
import type { AuthTokensDto } from '../dto/auth.response.dto.js';
import { RefreshTokenCommand } from './refresh-token.command.js';

interface TokenRow {
  id: string;
  family_id: string;
  token_hash: string;
  expired: boolean;
  used_at: Date | null;
  revoked_at: Date | null;
  user_id: string;
  username: string;
  role: Role;
  active: boolean;
  player_id: string | null;
  player_status: string | null;
  ban_until: Date | null;
}

/**
 * Rotation: each refresh token works once and is replaced by a new one in the same family. Presenting a
 * spent token means it was stolen or replayed, so the whole family is revoked (the legitimate holder
 * logs in again).
 */
@CommandHandler(RefreshTokenCommand)
export class RefreshTokenHandler implements ICommandHandler<RefreshTokenCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenService,
  ) {}

  async execute({ refreshToken }: RefreshTokenCommand): Promise<AuthTokensDto> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) throw AuthErrors.refreshInvalid();

    const outcome = await this.dataSource.transaction(async (m) => {
      const [row]: TokenRow[] = await m.query(
        `SELECT t.id, t.family_id, t.token_hash, t.expires_at < now() AS expired, t.used_at, t.revoked_at,
                u.id AS user_id, u.username, u.role, u.active, p.id AS player_id,
                p.status AS player_status, p.ban_until
         FROM refresh_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN players p ON p.user_id = u.id
         WHERE t.id = $1 FOR UPDATE OF t`,
        [parsed.id],
      );
      if (!row || !secretMatches(parsed.secret, row.token_hash))
        return { error: AuthErrors.refreshInvalid() };
      if (row.used_at || row.revoked_at) {
        await m.query(
          `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`,
          [row.family_id],
        );
        return { error: row.used_at ? AuthErrors.refreshReused() : AuthErrors.refreshRevoked() };
      }
      if (row.expired || !row.active) return { error: AuthErrors.refreshInvalid() };
      // As at login: a ban in force refuses new tokens (a ban also revokes the refresh tokens; this holds
      // whatever path set it).
      if (row.player_status === 'banned' && (row.ban_until === null || row.ban_until > new Date()))
        return { error: AuthErrors.playerBanned(row.ban_until) };
      await m.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [row.id]);
      const user = { userId: row.user_id, username: row.username, role: row.role, playerId: row.player_id };
      const pair = await this.tokens.issue(m, user, row.family_id);
      return {
        result: {
          ...pair,
          user: { id: user.userId, username: user.username, role: user.role, player_id: user.playerId },
        },
      };
    });
    // The revocation above must commit, so the error is thrown only after the transaction ends.
    if ('error' in outcome) throw outcome.error;
    return outcome.result;
  }
}
