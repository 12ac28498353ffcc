import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { decoyHash, verifyPassword } from '../domain/password.js';
import { AuthErrors } from '../domain/auth.errors.js';
import type { Role } from '../domain/roles.js';
import { TokenService } from '../token.service.js';
import type { AuthTokensDto } from '../dto/auth.response.dto.js';
import { PlayerLoggedInEvent } from '../events/player-logged-in.event.js';
import { LoginCommand } from './login.command.js';

interface LoginRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  active: boolean;
  player_id: string | null;
  player_status: string | null;
  ban_until: Date | null;
}

@CommandHandler(LoginCommand)
export class LoginHandler implements ICommandHandler<LoginCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenService,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ username, password }: LoginCommand): Promise<AuthTokensDto> {
    const [row]: LoginRow[] = await this.dataSource.query(
      `SELECT u.id, u.username, u.password_hash, u.role, u.active,
              p.id AS player_id, p.status AS player_status, p.ban_until
       FROM users u LEFT JOIN players p ON p.user_id = u.id
       WHERE lower(u.username) = lower($1)`,
      [username],
    );
    // Verify against a decoy when the user is unknown, so response time does not reveal which usernames exist.
    const ok = await verifyPassword(row?.password_hash ?? (await decoyHash()), password);
    if (!row || !ok) throw AuthErrors.invalidCredentials();
    if (!row.active) throw AuthErrors.accountDisabled();
    if (row.player_status === 'banned' && (row.ban_until === null || row.ban_until > new Date())) {
      throw AuthErrors.playerBanned(row.ban_until);
    }

    const user = { userId: row.id, username: row.username, role: row.role, playerId: row.player_id };
    const at = new Date();
    const pair = await this.dataSource.transaction(async (m) => {
      if (row.player_id)
        await m.query(`UPDATE players SET last_login = $2 WHERE id = $1`, [row.player_id, at]);
      return this.tokens.issue(m, user);
    });
    if (row.player_id)
      this.eventBus.publish(new PlayerLoggedInEvent(row.player_id, row.id, row.username, at));
    return {
      ...pair,
      user: { id: row.id, username: row.username, role: row.role, player_id: row.player_id },
    };
  }
}
