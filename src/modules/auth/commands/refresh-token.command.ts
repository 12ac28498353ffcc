import { Command } from '@nestjs/cqrs';
import type { AuthTokensDto } from '../dto/auth.response.dto.js';

export class RefreshTokenCommand extends Command<AuthTokensDto> {
  constructor(readonly refreshToken: string) {
    super();
  }
}
