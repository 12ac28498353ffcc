import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Public } from './decorators.js';
import type { Actor } from './domain/actor.js';
import { LoginRequestDto, RefreshRequestDto, RegisterRequestDto } from './dto/auth.request.dto.js';
import { AuthTokensDto, LogoutResultDto } from './dto/auth.response.dto.js';
import { ApiErrors, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { AuthThrottled } from '../../infrastructure/throttling/throttling.js';
import { LoginCommand } from './commands/login.command.js';
import { LogoutCommand } from './commands/logout.command.js';
import { RefreshTokenCommand } from './commands/refresh-token.command.js';
import { RegisterCommand } from './commands/register.command.js';

@ApiTags('auth')
@Controller('auth')
@AuthThrottled()
export class AuthController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('register')
  @Public()
  @ApiOperation({ summary: 'Create a player account and log it in' })
  @ApiEnvelope(AuthTokensDto, 201)
  @ApiErrors({ 409: '`AUTH.USERNAME_TAKEN`, `AUTH.EMAIL_TAKEN`' })
  register(@Body() body: RegisterRequestDto) {
    return this.commandBus.execute(new RegisterCommand(body.username, body.email, body.password));
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange username and password for an access token and a refresh token' })
  @ApiEnvelope(AuthTokensDto)
  @ApiErrors({
    401: '`AUTH.INVALID_CREDENTIALS`',
    403: '`AUTH.ACCOUNT_DISABLED`, `AUTH.PLAYER_BANNED` (a ban in force)',
  })
  login(@Body() body: LoginRequestDto) {
    return this.commandBus.execute(new LoginCommand(body.username, body.password));
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a refresh token; replaying a spent one revokes the whole login' })
  @ApiEnvelope(AuthTokensDto)
  @ApiErrors({
    401:
      '`AUTH.REFRESH_INVALID` (unknown, expired, or the account disabled), `AUTH.REFRESH_REVOKED` (logout, ban), ' +
      '`AUTH.REFRESH_REUSED` (a spent token: the whole login is revoked now)',
    403: '`AUTH.PLAYER_BANNED` (a ban in force)',
  })
  refresh(@Body() body: RefreshRequestDto) {
    return this.commandBus.execute(new RefreshTokenCommand(body.refresh_token));
  }

  @Post('logout')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Revoke this login (its refresh-token family)' })
  @ApiEnvelope(LogoutResultDto)
  @ApiErrors({ 401: `${UNAUTHENTICATED} \`AUTH.REFRESH_INVALID\`: not a refresh token of this user.` })
  logout(@CurrentActor() actor: Actor, @Body() body: RefreshRequestDto) {
    return this.commandBus.execute(new LogoutCommand(actor.userId, body.refresh_token));
  }
}
