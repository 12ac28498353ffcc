import { Command } from '@nestjs/cqrs';

export class LogoutCommand extends Command<{ revoked: number }> {
  constructor(
    readonly userId: string,
    readonly refreshToken: string,
  ) {
    super();
  }
}
