import { Command } from '@nestjs/cqrs';
import type { AuthTokensDto } from '../dto/auth.response.dto.js';

export class RegisterCommand extends Command<AuthTokensDto> {
  constructor(
    readonly username: string,
    readonly email: string,
    readonly password: string,
  ) {
    super();
  }
}
