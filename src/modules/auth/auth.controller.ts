import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Public } from './decorators.js';
import type { Actor } from './domain/actor.js';
import { LoginRequestDto, RefreshRequestDto, RegisterRequestDto } from './dto/auth.request.dto.js';
import { AuthTokensDto } from './dto/auth.response.dto.js';
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
  register(@Body() body: RegisterRequestDto) {
    return this.commandBus.execute(new RegisterCommand(body.username, body.email, body.password));
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange username and password for an access token and a refresh token' })
  @ApiEnvelope(AuthTokensDto)
  login(@Body() body: LoginRequestDto) {
    return this.commandBus.execute(new LoginCommand(body.username, body.password));
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a refresh token; replaying a spent one revokes the whole login' })
  @ApiEnvelope(AuthTokensDto)
  refresh(@Body() body: RefreshRequestDto) {
    return this.commandBus.execute(new RefreshTokenCommand(body.refresh_token));
  }

  @Post('logout')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Revoke this login (its refresh-token family)' })
  logout(@CurrentActor() actor: Actor, @Body() body: RefreshRequestDto) {
    return this.commandBus.execute(new LogoutCommand(actor.userId, body.refresh_token));
  }
}
