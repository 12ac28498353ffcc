import { Command } from '@nestjs/cqrs';
import type { AuthTokensDto } from '../dto/auth.response.dto.js';

export class LoginCommand extends Command<AuthTokensDto> {
  constructor(
    readonly username: string,
    readonly password: string,
  ) {
    super();
  }
}
