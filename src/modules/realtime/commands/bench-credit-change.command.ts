import { Command } from '@nestjs/cqrs';

/** Benchmark trigger only (REALTIME_BENCH_TRIGGER): a committed credit change without the audited admin path. */
export class BenchCreditChangeCommand extends Command<{ player_id: string; credits: string }> {
  constructor(
    readonly playerId: string,
    readonly credits: number,
  ) {
    super();
  }
}
