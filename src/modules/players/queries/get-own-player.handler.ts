import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { PlayersErrors } from '../domain/players.errors.js';
import { GetOwnPlayerQuery, type OwnPlayerView } from './get-own-player.query.js';
import { PLAYER_COLUMNS } from './player-row.js';

@QueryHandler(GetOwnPlayerQuery)
export class GetOwnPlayerHandler implements IQueryHandler<GetOwnPlayerQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ playerId }: GetOwnPlayerQuery): Promise<OwnPlayerView> {
    const [row] = await this.dataSource.query(
      `SELECT ${PLAYER_COLUMNS} FROM players p LEFT JOIN teams t ON t.id = p.team_id WHERE p.id = $1`,
      [playerId],
    );
    if (!row) throw PlayersErrors.notFound();
    const { risk_score: _risk, ...own } = row;
    return own;
  }
}
