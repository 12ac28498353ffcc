import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiExcludeController } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { CommonErrors } from '../../infrastructure/errors/common.errors.js';
import { RequirePermissions } from '../auth/decorators.js';
import { Permission } from '../auth/domain/roles.js';
import { BenchCreditChangeCommand } from './commands/bench-credit-change.command.js';
import { BenchCreditChangeRequestDto } from './dto/bench-credit-change.request.dto.js';

/** The bench:realtime trigger. 404 unless REALTIME_BENCH_TRIGGER=true (refused at boot in production). */
@ApiExcludeController()
@ApiBearerAuth()
@Controller('admin/realtime/bench')
export class RealtimeBenchController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('credit-change')
  @HttpCode(200)
  @RequirePermissions(Permission.PlayersUpdate)
  creditChange(@Body() body: BenchCreditChangeRequestDto) {
    if (!this.config.realtimeBenchTrigger) throw CommonErrors.notFound('Route');
    return this.commandBus.execute(new BenchCreditChangeCommand(body.player_id, body.credits));
  }
}
