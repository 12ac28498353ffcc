import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { isUniqueViolation } from '../../../infrastructure/database/transaction.js';
import { hashPassword } from '../domain/password.js';
import { AuthErrors } from '../domain/auth.errors.js';
import { TokenService } from '../token.service.js';
import type { AuthTokensDto } from '../dto/auth.response.dto.js';
import { RegisterCommand } from './register.command.js';
import { STARTER_SHIP } from '../../players/domain/starting-kit.js';
import { PlayerLoggedInEvent } from '../events/player-logged-in.event.js';

/**
 * Creates the login, its player (10,000 credits, 1,000 turns) and a starter ship at home, in one transaction,
 * and logs it in.
 */
@CommandHandler(RegisterCommand)
export class RegisterHandler implements ICommandHandler<RegisterCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenService,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ username, email, password }: RegisterCommand): Promise<AuthTokensDto> {
    const passwordHash = await hashPassword(password);
    const at = new Date();
    let result: AuthTokensDto;
    try {
      result = await this.dataSource.transaction(async (m) => {
        const [user] = await m.query(
          `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'player') RETURNING id`,
          [username, passwordHash],
        );
        const [player] = await m.query(
          `INSERT INTO players (user_id, username, email, current_sector, home_sector, last_login)
           VALUES ($1, $2, $3, 1, 1, $4) RETURNING id`,
          [user.id, username, email.toLowerCase(), at],
        );
        const [ship] = await m.query(
          `INSERT INTO ships (player_id, name, type, sector_id, capacity) VALUES ($1, $2, $3, 1, $4) RETURNING id`,
          [player.id, `${username}'s ${STARTER_SHIP.label}`, STARTER_SHIP.type, STARTER_SHIP.capacity],
        );
        await m.query(`UPDATE players SET active_ship_id = $1 WHERE id = $2`, [ship.id, player.id]);
        const authUser = { userId: user.id, username, role: 'player' as const, playerId: player.id };
        const pair = await this.tokens.issue(m, authUser);
        return { ...pair, user: { id: user.id, username, role: 'player', player_id: player.id } };
      });
    } catch (err) {
      if (
        isUniqueViolation(err, 'users_username_lower_uq') ||
        isUniqueViolation(err, 'players_username_lower_uq')
      ) {
        throw AuthErrors.usernameTaken();
      }
      if (isUniqueViolation(err, 'players_email_lower_uq')) throw AuthErrors.emailTaken();
      throw err;
    }
    // Registering logs the new player in.
    this.eventBus.publish(new PlayerLoggedInEvent(result.user.player_id!, result.user.id, username, at));
    return result;
  }
}
