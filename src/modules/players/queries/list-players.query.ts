import { Query } from '@nestjs/cqrs';
import type { ListPlayersRequestDto } from '../dto/list-players.request.dto.js';
import type { PlayerListDto } from '../dto/player.response.dto.js';

export class ListPlayersQuery extends Query<PlayerListDto> {
  constructor(readonly request: ListPlayersRequestDto) {
    super();
  }
}
