import { Command } from '@nestjs/cqrs';
import type { Actor } from '../../auth/domain/actor.js';
import type { MarketHaltDto } from '../dto/market.response.dto.js';

/** Halts (halt = true) or resumes trading, for one commodity or (commodity null) for all. Audited. */
export class SetMarketHaltCommand extends Command<MarketHaltDto> {
  constructor(
    readonly actor: Actor,
    readonly halt: boolean,
    readonly commodity: string | null,
    readonly reason: string,
  ) {
    super();
  }
}
