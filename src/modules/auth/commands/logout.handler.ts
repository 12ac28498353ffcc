import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { parseRefreshToken, secretMatches } from '../domain/refresh-token.js';
import { AuthErrors } from '../domain/auth.errors.js';
import { LogoutCommand } from './logout.command.js';

/** Revokes the refresh-token family of this login; the short-lived access token simply expires. */
@CommandHandler(LogoutCommand)
export class LogoutHandler implements ICommandHandler<LogoutCommand> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ userId, refreshToken }: LogoutCommand): Promise<{ revoked: number }> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) throw AuthErrors.refreshInvalid();
    const [row] = await this.dataSource.query(
      `SELECT family_id, token_hash FROM refresh_tokens WHERE id = $1 AND user_id = $2`,
      [parsed.id, userId],
    );
    if (!row || !secretMatches(parsed.secret, row.token_hash)) throw AuthErrors.refreshInvalid();
    const [, count] = await this.dataSource.query(
      `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`,
      [row.family_id],
    );
    return { revoked: Number(count ?? 0) };
  }
}
