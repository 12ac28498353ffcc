import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { PlayersErrors } from '../../players/domain/players.errors.js';
import { CreditsChangedEvent } from '../../players/events/credits-changed.event.js';
import { BenchCreditChangeCommand } from './bench-credit-change.command.js';

/**
 * One guarded UPDATE, committed, then CreditsChangedEvent (source 'bench'): what a trade does to the feed,
 * without the audit chain, so bench:realtime measures delivery rather than the audited write path.
 */
@CommandHandler(BenchCreditChangeCommand)
export class BenchCreditChangeHandler implements ICommandHandler<BenchCreditChangeCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute(cmd: BenchCreditChangeCommand): Promise<{ player_id: string; credits: string }> {
    // UPDATE ... RETURNING through TypeORM's query() answers [rows, affectedCount].
    const [rows]: [{ before: string; after: string }[], number] = await this.dataSource.query(
      `WITH old AS (SELECT credits FROM players WHERE id = $1 FOR UPDATE)
       UPDATE players p SET credits = $2::bigint, version = p.version + 1, updated_at = now()
       FROM old WHERE p.id = $1
       RETURNING old.credits::text AS before, p.credits::text AS after`,
      [cmd.playerId, cmd.credits],
    );
    const row = rows[0];
    if (!row) throw PlayersErrors.notFound();
    this.eventBus.publish(new CreditsChangedEvent(cmd.playerId, row.before, row.after, 'bench', null));
    return { player_id: cmd.playerId, credits: row.after };
  }
}
