import { Inject } from '@nestjs/common';
import {
  CommandHandler,
  EventBus,
  QueryHandler,
  type ICommandHandler,
  type IQueryHandler,
} from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { inTransaction } from '../../../infrastructure/database/transaction.js';
import {
  afterCursor,
  keysetColumnsSql,
  keysetPage,
  type KeysetRow,
} from '../../../infrastructure/http/time-keyset.js';
import { assertQuantity, TradingErrors } from '../domain/trading.errors.js';
import { AutomationExecutor } from './automation-executor.service.js';
import { AutomationRuleChangedEvent } from './automation-rule-changed.event.js';
import {
  CancelAutomationRuleCommand,
  CreateAutomationRuleCommand,
  GetAutomationRuleQuery,
  ListAutomationRulesQuery,
} from './automation-rule.commands.js';
import { AutomationErrors } from './automation.errors.js';
import {
  RULE_COLUMNS,
  ruleDto,
  type AutomationRuleDto,
  type AutomationRuleListDto,
  type RuleRow,
} from './automation.dto.js';

/**
 * Serialises one player's rule creations (the active-rule cap) without touching the rows trades lock; the
 * two-key advisory form, keyed (this, hashtext(player id)).
 */
const RULE_LOCK_NAMESPACE = 2102_0303;

/**
 * A new rule, checked as a trade would be where it can be now: a player in good standing, a station that
 * trades the commodity that way, a quantity in range, and room under the player's cap of active rules.
 * Where the player stands, its credits and cargo are checked when the rule fires (they may change until then).
 */
@CommandHandler(CreateAutomationRuleCommand)
export class CreateAutomationRuleHandler implements ICommandHandler<CreateAutomationRuleCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, request }: CreateAutomationRuleCommand): Promise<AutomationRuleDto> {
    const playerId = actor.playerId;
    if (!playerId) throw TradingErrors.playersOnly();
    assertQuantity(request.quantity, this.config.tradeMaxQuantity);
    const rule = await inTransaction(this.dataSource, async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1, hashtext($2::text))', [RULE_LOCK_NAMESPACE, playerId]);
      const [ctx] = (await m.query(
        `SELECT p.status, s.id IS NOT NULL AS station_exists, sm.buys, sm.sells,
                (SELECT count(*)::int FROM automation_rules r
                  WHERE r.player_id = p.id AND r.status = 'active') AS active_rules
         FROM players p
         LEFT JOIN stations s ON s.id = $2
         LEFT JOIN station_markets sm ON sm.station_id = s.id AND sm.commodity = $3
         WHERE p.id = $1`,
        [playerId, request.stationId, request.commodity],
      )) as Array<{
        status: string;
        station_exists: boolean;
        buys: boolean | null;
        sells: boolean | null;
        active_rules: number;
      }>;
      if (!ctx) throw TradingErrors.playerNotFound();
      if (ctx.status !== 'active') throw TradingErrors.playerNotActive(ctx.status);
      if (!ctx.station_exists) throw TradingErrors.stationNotFound();
      if (!(request.action === 'buy' ? ctx.sells : ctx.buys))
        throw TradingErrors.notTraded(request.action, request.commodity);
      if (ctx.active_rules >= this.config.automationMaxActiveRules)
        throw AutomationErrors.ruleLimit(this.config.automationMaxActiveRules);
      const [row] = (await m.query(
        `INSERT INTO automation_rules AS r (player_id, station_id, commodity, action, quantity, limit_price)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${RULE_COLUMNS}`,
        [
          playerId,
          request.stationId,
          request.commodity,
          request.action,
          request.quantity,
          request.limitPrice,
        ],
      )) as RuleRow[];
      return ruleDto(row!);
    });
    this.eventBus.publish(new AutomationRuleChangedEvent(playerId, rule));
    return rule;
  }
}

/** How long a rule's trade may be running before its claim is taken for a dead executor's (see cancel). */
const LIVE_TRADE_SECONDS = 5;

/**
 * Cancels an active rule. A rule whose trade is running cannot be cancelled (409 AUTOMATION.RULE_BUSY, for a
 * second or two; until its claim expires when its executor died mid-trade, which retry_after_seconds then
 * says); one whose dead executor's claim has expired is first settled from the ledger, so a rule that did trade
 * reads `executed`, never `cancelled`.
 */
@CommandHandler(CancelAutomationRuleCommand)
export class CancelAutomationRuleHandler implements ICommandHandler<CancelAutomationRuleCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
    private readonly executor: AutomationExecutor,
  ) {}

  async execute({ actor, ruleId }: CancelAutomationRuleCommand): Promise<AutomationRuleDto> {
    const playerId = actor.playerId;
    if (!playerId) throw TradingErrors.playersOnly();
    await this.executor.settleAbandoned(ruleId);
    const [[row]] = (await this.dataSource.query(
      `UPDATE automation_rules r
       SET status = 'cancelled', finished_at = now(), updated_at = now(), claimed_until = NULL
       WHERE r.id = $1 AND r.player_id = $2 AND r.status = 'active' AND r.claimed_at IS NULL
       RETURNING ${RULE_COLUMNS}`,
      [ruleId, playerId],
    )) as [RuleRow[], number];
    if (!row) {
      const current = await readOwnRule(this.dataSource, playerId, ruleId);
      if (current.status !== 'active') throw AutomationErrors.notActive(current.status);
      // A trade takes a moment: a claim older than that is a dead executor's, which stands until it expires.
      const [claim] = (await this.dataSource.query(
        `SELECT CASE WHEN claimed_until IS NULL OR claimed_at > now() - make_interval(secs => $2) THEN 1
                     ELSE greatest(1, ceil(extract(epoch FROM claimed_until - now())))::int END AS wait
         FROM automation_rules WHERE id = $1`,
        [ruleId, LIVE_TRADE_SECONDS],
      )) as { wait: number }[];
      throw AutomationErrors.busy(claim?.wait ?? 1);
    }
    const rule = ruleDto(row);
    this.eventBus.publish(new AutomationRuleChangedEvent(playerId, rule));
    return rule;
  }
}

@QueryHandler(GetAutomationRuleQuery)
export class GetAutomationRuleHandler implements IQueryHandler<GetAutomationRuleQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ playerId, ruleId }: GetAutomationRuleQuery): Promise<AutomationRuleDto> {
    if (!playerId) throw TradingErrors.playersOnly();
    return readOwnRule(this.dataSource, playerId, ruleId);
  }
}

@QueryHandler(ListAutomationRulesQuery)
export class ListAutomationRulesHandler implements IQueryHandler<ListAutomationRulesQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(q: ListAutomationRulesQuery): Promise<AutomationRuleListDto> {
    if (!q.playerId) throw TradingErrors.playersOnly();
    const params: unknown[] = [q.playerId];
    const where = ['r.player_id = $1'];
    for (const [column, value] of [
      ['status', q.filters.status],
      ['station_id', q.filters.stationId],
      ['commodity', q.filters.commodity],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`r.${column} = $${params.length}`);
    }
    const filter = where.join(' AND ');
    const pg = afterCursor(q.cursor, filter, params, 'r.created_at', 'r.id');
    const [rows, [count]] = await Promise.all([
      this.dataSource.query(
        `SELECT ${RULE_COLUMNS}, ${keysetColumnsSql('r.created_at', 'r.id')} FROM automation_rules r WHERE ${pg.where}
         ORDER BY r.created_at DESC, r.id DESC LIMIT $${pg.params.length + 1} OFFSET $${pg.params.length + 2}`,
        [...pg.params, q.limit + 1, pg.keyset ? 0 : (q.page - 1) * q.limit],
      ) as Promise<Array<RuleRow & KeysetRow>>,
      this.dataSource.query(
        `SELECT count(*)::int AS n FROM automation_rules r WHERE ${filter}`,
        params,
      ) as Promise<Array<{ n: number }>>,
    ]);
    const page = keysetPage(rows, q.limit);
    return {
      rules: page.rows.map(ruleDto),
      page: q.page,
      limit: q.limit,
      total_count: count!.n,
      next_cursor: page.next_cursor,
    };
  }
}

async function readOwnRule(
  dataSource: DataSource,
  playerId: string,
  ruleId: string,
): Promise<AutomationRuleDto> {
  const [row] = (await dataSource.query(
    `SELECT ${RULE_COLUMNS} FROM automation_rules r WHERE r.id = $1 AND r.player_id = $2`,
    [ruleId, playerId],
  )) as RuleRow[];
  if (!row) throw AutomationErrors.ruleNotFound();
  return ruleDto(row);
}
