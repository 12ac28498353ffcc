import { setTimeout as sleep } from 'node:timers/promises';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CommandBus, EventBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { DatabaseAvailability } from '../../../infrastructure/database/database-availability.js';
import { PreparedStatements } from '../../../infrastructure/database/prepared-statements.js';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { MetricsService } from '../../../infrastructure/metrics/metrics.service.js';
import { addTick } from '../../../infrastructure/scheduling/cluster-tick.js';
import type { Actor } from '../../auth/domain/actor.js';
import { PlayerStatusChangedEvent } from '../../players/events/player-status-changed.event.js';
import { ExecuteTradeCommand } from '../commands/execute-trade.command.js';
import type { TradeResultDto } from '../dto/trade.response.dto.js';
import { RESERVED_KEY_PREFIX } from '../domain/idempotency.js';
import { MarketChangedEvent } from '../events/market-changed.event.js';
import { MarketHaltChangedEvent } from '../events/market-halt-changed.event.js';
import { AutomationRuleChangedEvent } from './automation-rule-changed.event.js';
import { outcomeOf } from './automation-outcome.js';
import { RULE_COLUMNS, ruleDto, type RuleRow } from './automation.dto.js';

/** The Idempotency-Key of a rule's one trade is this prefix and the rule's id; players cannot send such keys. */
const AUTOMATION_KEY_PREFIX = RESERVED_KEY_PREFIX;
/** Rules claimed per check of a market; a full batch means the market is checked again. */
const CLAIM_BATCH = 20;
/** How long a claim holds a rule against other executors; beyond it, the sweep settles it from the ledger. */
const CLAIM_SECONDS = 120;
/** Checks of one market are at least this far apart while it keeps changing (the first one runs at once). */
const CHECK_SPACING_MS = 100;
const SWEEP_INTERVAL_MS = 30_000;
/**
 * Checks (with the trades they fire) running at once on a node. A regeneration tick changes thousands of
 * markets at once: their checks queue here, not in the connection pool that players' requests wait on.
 */
const CONCURRENT_CHECKS = 2;

/**
 * The market's active rules whose trigger holds now, oldest first, claimed by this executor. A rule fires only
 * where its trade can pass the market's side of the rules: a buy when the station sells at or below the limit
 * with the stock for it, a sell when the station pays at or above it with the room and the treasury; never in
 * a halted market, nor for a player who is not active (those wait, they do not fail). SKIP LOCKED and the
 * claim make a rule fire on one node at a time. The top level is a SELECT so that both drivers return its rows:
 * one per claimed rule, or one with a null id when none was; `armed` says whether the market has any active
 * rule at all (due or not, claimable or not).
 */
const CLAIM_DUE = `
WITH due AS (
  SELECT r.id FROM automation_rules r
  JOIN station_markets sm ON sm.station_id = r.station_id AND sm.commodity = r.commodity
  JOIN stations s ON s.id = r.station_id
  JOIN players p ON p.id = r.player_id
  WHERE r.station_id = $1 AND r.commodity = $2 AND r.status = 'active'
    AND (r.claimed_until IS NULL OR r.claimed_until < now())
    AND p.status = 'active' AND p.user_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM market_halts h WHERE h.scope IN ('*', r.commodity))
    AND CASE r.action
          WHEN 'buy' THEN sm.sells AND sm.sell_price <= r.limit_price AND sm.stock >= r.quantity
          ELSE sm.buys AND sm.buy_price >= r.limit_price AND sm.capacity - sm.stock >= r.quantity
               AND s.treasury >= sm.buy_price::bigint * r.quantity
        END
  ORDER BY r.created_at, r.id
  LIMIT $3
  FOR UPDATE OF r SKIP LOCKED
), claimed AS (
  UPDATE automation_rules r
  SET claimed_at = clock_timestamp(), claimed_until = now() + make_interval(secs => $4),
      attempts = r.attempts + 1, updated_at = now()
  FROM due, players p
  WHERE r.id = due.id AND p.id = r.player_id
  RETURNING r.id, r.player_id, p.user_id, p.username, r.station_id, r.commodity, r.action, r.quantity,
            r.limit_price, r.claimed_at::text AS claim
)
SELECT c.*, a.armed FROM (
  SELECT EXISTS (SELECT 1 FROM automation_rules r
                 WHERE r.station_id = $1 AND r.commodity = $2 AND r.status = 'active') AS armed
) a LEFT JOIN claimed c ON true`;

/**
 * Claims whose executor died (or never wrote back) are settled from the ledger: the rule's trade, if it
 * committed, carries the rule's key; otherwise the rule is simply active again. $1: one rule, or null for all.
 */
const SETTLE_ABANDONED = `
WITH abandoned AS (
  SELECT r.id, r.player_id, r.claimed_at FROM automation_rules r
  WHERE r.status = 'active' AND r.claimed_at IS NOT NULL AND r.claimed_until < now()
    AND ($1::uuid IS NULL OR r.id = $1::uuid)
  ORDER BY r.claimed_until
  LIMIT 500
  FOR UPDATE OF r SKIP LOCKED
), settled AS (
  SELECT a.id, mt.id AS trade_id, mt.created_at AS executed_at FROM abandoned a
  LEFT JOIN LATERAL (
    SELECT mt.id, mt.created_at FROM market_transactions mt
    WHERE mt.player_id = a.player_id AND mt.created_at >= a.claimed_at - interval '10 minutes'
      AND mt.idempotency_key = '${AUTOMATION_KEY_PREFIX}' || a.id::text
    LIMIT 1) mt ON true
)
UPDATE automation_rules r
SET claimed_at = NULL, claimed_until = NULL, updated_at = now(),
    status = CASE WHEN s.trade_id IS NULL THEN r.status ELSE 'executed' END,
    trade_id = s.trade_id, finished_at = s.executed_at,
    error_code = CASE WHEN s.trade_id IS NULL THEN r.error_code END,
    error_detail = CASE WHEN s.trade_id IS NULL THEN r.error_detail END
FROM settled s
WHERE r.id = s.id
RETURNING ${RULE_COLUMNS}, r.player_id`;

/** The markets of the active rules in a scope (a lifted halt's commodity, players made active again). */
const MARKETS_OF_COMMODITY = `SELECT DISTINCT station_id, commodity FROM automation_rules
  WHERE status = 'active' AND ($1::text IS NULL OR commodity = $1::text)`;
const MARKETS_OF_PLAYERS = `SELECT DISTINCT station_id, commodity FROM automation_rules
  WHERE status = 'active' AND player_id = ANY($1::uuid[])`;

/** What one check of a market found. */
interface CheckResult {
  /** A full batch was claimed: more may be due. */
  more: boolean;
  /** The market has active rules (false: nothing there can fire until a rule is created). */
  armed: boolean;
}

/**
 * A market being checked: whether it changed again meanwhile, whether it may have gained a rule meanwhile
 * (`urgent`: then no hold follows this check), and how to end a hold early.
 */
interface CheckState {
  again: boolean;
  urgent: boolean;
  wake?: () => void;
}

interface ClaimedRule {
  id: string;
  player_id: string;
  user_id: string;
  username: string;
  station_id: string;
  commodity: string;
  action: 'buy' | 'sell';
  quantity: number;
  limit_price: number;
  /** The claim's timestamp as Postgres wrote it (text keeps its microseconds): the executor's token. */
  claim: string;
}

/**
 * Runs automation rules. Every market change (a trade, regeneration, a lifted halt), every new rule and every
 * player made active again has the due rules of the markets concerned claimed and fired, each as the player's own trade through ExecuteTradeCommand (every trade rule, the
 * player's rate limit, exactly once by the key `automation:<rule id>`). Checks of one market run one at a
 * time, at most every CHECK_SPACING_MS while it keeps changing; each node checks the changes it sees, and the
 * claim keeps two nodes off one rule. A rule's trade then changes the market, which checks it again.
 *
 * Most markets have no active rule, and a busy one changes with every trade: a check that finds no active rule
 * holds the market's next check for AUTOMATION_IDLE_HOLD_MS, and the changes meanwhile get one check at its
 * end. So such a market costs one claim statement per hold, not one per trade, and a rule created on another
 * node (which this node hears nothing of) is found at the latest by that check. A rule created here, a lifted
 * halt and a player made active again end the hold at once.
 *
 * After the trade: executed (with the trade), failed (a reason on the player's side), or still active (the
 * market moved, or a pause after a system-side refusal): see outcomeOf.
 */
type Trigger =
  MarketChangedEvent | AutomationRuleChangedEvent | MarketHaltChangedEvent | PlayerStatusChangedEvent;

@EventsHandler(
  MarketChangedEvent,
  AutomationRuleChangedEvent,
  MarketHaltChangedEvent,
  PlayerStatusChangedEvent,
)
@Injectable()
export class AutomationExecutor
  implements IEventHandler<Trigger>, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(AutomationExecutor.name);
  /** Markets being checked, and whether they changed again meanwhile. */
  private readonly checking = new Map<string, CheckState>();
  private readonly running = new Set<Promise<void>>();
  private freeSlots = CONCURRENT_CHECKS;
  private readonly waitingForSlot: Array<() => void> = [];
  /** Players made active again since the last look at their rules' markets (a bulk unfreeze comes at once). */
  private reactivated = new Set<string>();
  private closed = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sql: PreparedStatements,
    private readonly commandBus: CommandBus,
    private readonly eventBus: EventBus,
    private readonly scheduler: SchedulerRegistry,
    private readonly metrics: MetricsService,
    private readonly database: DatabaseAvailability,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    addTick(this.scheduler, 'automation-sweep', SWEEP_INTERVAL_MS, () =>
      this.settleAbandoned().catch(() => undefined),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const state of this.checking.values()) state.wake?.();
    await Promise.allSettled([...this.running]);
  }

  handle(event: Trigger): void {
    if (event instanceof AutomationRuleChangedEvent) {
      if (event.rule.status === 'active') this.check(event.rule.station_id, event.rule.commodity, true);
    } else if (event instanceof MarketHaltChangedEvent) {
      if (!event.halted)
        void this.checkMarketsOf(MARKETS_OF_COMMODITY, [event.commodity], 'a halt was lifted');
    } else if (event instanceof PlayerStatusChangedEvent) {
      if (event.to === 'active' && event.from !== 'active') this.playerReactivated(event.playerId);
    } else {
      this.check(event.stationId, event.commodity);
    }
  }

  /**
   * Checks one market's rules now, or once more after the check in progress (or its hold). `urgent`: the
   * market may have gained a rule, so a hold ends now.
   */
  check(stationId: string, commodity: string, urgent = false): void {
    if (this.closed) return;
    const key = `${stationId}:${commodity}`;
    const current = this.checking.get(key);
    if (current) {
      current.again = true;
      if (urgent) {
        current.urgent = true;
        current.wake?.();
      }
      return;
    }
    const state: CheckState = { again: false, urgent: false };
    this.checking.set(key, state);
    const run = this.drain(key, stationId, commodity, state).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /**
   * A player's rules waited while it was not active (the claim skips such players); now that it is active
   * again, their markets are checked without waiting for the next change. Reactivations in one turn of the
   * event loop (a bulk unfreeze) share one query.
   */
  private playerReactivated(playerId: string): void {
    if (this.reactivated.add(playerId).size > 1) return;
    setImmediate(() => {
      const players = [...this.reactivated];
      this.reactivated = new Set();
      void this.checkMarketsOf(MARKETS_OF_PLAYERS, [players], 'players were made active again');
    });
  }

  /** Every market with active rules in a scope is checked: its rules may have waited on something else. */
  private async checkMarketsOf(query: string, params: unknown[], why: string): Promise<void> {
    if (this.closed || !this.dataSource.isInitialized) return;
    try {
      const markets = (await this.dataSource.query(query, params)) as Array<{
        station_id: string;
        commodity: string;
      }>;
      for (const m of markets) this.check(m.station_id, m.commodity, true);
    } catch (err) {
      if (!this.database.skipIfUnavailable('automation.check', err))
        this.logger.warn({ err }, `Could not check automation rules after ${why}`);
    }
  }

  /** Settles claims whose executor never wrote back (see SETTLE_ABANDONED). Returns the rules it settled. */
  async settleAbandoned(ruleId: string | null = null): Promise<number> {
    if (!this.dataSource.isInitialized) return 0;
    try {
      const [rows] = (await this.dataSource.query(SETTLE_ABANDONED, [ruleId])) as [
        Array<RuleRow & { player_id: string }>,
        number,
      ];
      for (const row of rows) {
        if (row.status === 'executed')
          this.eventBus.publish(new AutomationRuleChangedEvent(row.player_id, ruleDto(row)));
      }
      return rows.length;
    } catch (err) {
      if (!this.database.skipIfUnavailable('automation.sweep', err))
        this.logger.warn({ err }, 'Settling abandoned automation claims failed; will retry');
      throw err;
    }
  }

  private async drain(key: string, stationId: string, commodity: string, state: CheckState) {
    try {
      for (;;) {
        state.again = false;
        state.urgent = false;
        // A failed check counts as armed: the market is checked again on its next change, as before.
        let found: CheckResult = { more: false, armed: true };
        try {
          found = await this.inSlot(() => this.fireDue(stationId, commodity));
        } catch (err) {
          this.metrics.automationChecks.inc({ result: 'failed' });
          if (!this.database.skipIfUnavailable('automation.check', err))
            this.logger.warn({ err, stationId, commodity }, 'Checking automation rules failed');
        }
        if (this.closed) return;
        // A rule created while the claim ran may be missing from what it saw: then the market is checked
        // again after the usual spacing, not after a hold.
        if (!found.armed && !state.urgent) {
          await this.hold(state, this.config.automationIdleHoldMs);
          if (this.closed || !state.again) return;
          continue;
        }
        if (!(state.again || found.more)) return;
        await sleep(CHECK_SPACING_MS, undefined, { ref: false });
      }
    } finally {
      this.checking.delete(key);
    }
  }

  /** Waits `ms`, or less when an urgent check wakes the market (check). */
  private hold(state: CheckState, ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        state.wake = undefined;
        resolve();
      }
      state.wake = done;
    });
  }

  /** Runs `work` when one of the CONCURRENT_CHECKS slots is free. */
  private async inSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.freeSlots > 0) this.freeSlots -= 1;
    else await new Promise<void>((resolve) => this.waitingForSlot.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waitingForSlot.shift();
      if (next) next();
      else this.freeSlots += 1;
    }
  }

  /** Claims and fires the market's due rules, in order. */
  private async fireDue(stationId: string, commodity: string): Promise<CheckResult> {
    if (this.closed || !this.dataSource.isInitialized) return { more: false, armed: true };
    // A named statement: every change of a market runs it, and planning it would cost more than running it.
    const rows = await this.sql.query<ClaimedRule & { armed: boolean }>('automation-claim-due', CLAIM_DUE, [
      stationId,
      commodity,
      CLAIM_BATCH,
      CLAIM_SECONDS,
    ]);
    const claimed = rows.filter((r) => r.id !== null);
    const armed = rows[0]?.armed ?? true;
    this.metrics.automationChecks.inc({
      result: claimed.length > 0 ? 'claimed' : armed ? 'none_due' : 'no_rules',
    });
    for (const rule of claimed) await this.fire(rule);
    return { more: claimed.length === CLAIM_BATCH, armed };
  }

  private async fire(rule: ClaimedRule): Promise<void> {
    const actor: Actor = {
      userId: rule.user_id,
      username: rule.username,
      role: 'player',
      playerId: rule.player_id,
      requestId: `${AUTOMATION_KEY_PREFIX}${rule.id}`,
      ip: 'automation',
    };
    const request = {
      stationId: rule.station_id,
      commodity: rule.commodity as ExecuteTradeCommand['request']['commodity'],
      action: rule.action,
      quantity: rule.quantity,
      limitPrice: rule.limit_price,
    };
    try {
      const { trade } = await this.commandBus.execute(
        new ExecuteTradeCommand(actor, request, `${AUTOMATION_KEY_PREFIX}${rule.id}`, true),
      );
      await this.settle(
        rule,
        `status = 'executed', trade_id = $3, finished_at = now(), error_code = NULL, error_detail = NULL,
         claimed_until = NULL`,
        [trade.trade_id],
        trade,
      );
    } catch (err) {
      const outcome = outcomeOf(err);
      const code = err instanceof AppError ? err.code : 'INTERNAL_ERROR';
      const detail =
        err instanceof AppError ? err.message : 'The trade could not run; it will be tried again';
      if (!this.database.skipIfUnavailable('automation.trade', err)) this.tradeFailed(rule, err);
      if (outcome.kind === 'fail') {
        await this.settle(
          rule,
          `status = 'failed', finished_at = now(), error_code = $3, error_detail = $4, claimed_until = NULL`,
          [code, detail],
        );
      } else {
        const delay = outcome.kind === 'later' ? outcome.delaySeconds : 0;
        await this.settle(
          rule,
          `error_code = $3, error_detail = $4, claimed_until = now() + make_interval(secs => $5)`,
          [code, detail, delay],
        );
      }
    }
  }

  /**
   * A rule's trade that did not run, for the log (the rule itself records the outcome). A 503 (TRADING.CONTENDED:
   * the market's rows stayed locked) is a refusal for now, by design: a debug line, trade_attempts_total counts
   * it. Another 5xx, or anything that is not an AppError, is a failure to look into. The player-side refusals
   * (4xx) are the rule's outcome, not the node's problem.
   */
  private tradeFailed(rule: ClaimedRule, err: unknown): void {
    if (err instanceof AppError && err.status === 503)
      this.logger.debug(
        { ruleId: rule.id, code: err.code },
        'An automation rule’s trade was refused for now; retrying later',
      );
    else if (!(err instanceof AppError) || err.status >= 500)
      this.logger.warn({ err, ruleId: rule.id }, 'An automation rule’s trade could not run; retrying later');
  }

  /**
   * Writes a fired rule's outcome, if this executor's claim still holds (a claim the sweep took over is left to
   * its new holder), and tells the player when the rule finished.
   */
  private async settle(
    rule: ClaimedRule,
    set: string,
    values: unknown[],
    trade?: TradeResultDto,
  ): Promise<void> {
    try {
      const [[row]] = (await this.dataSource.query(
        `UPDATE automation_rules r SET ${set}, claimed_at = NULL, updated_at = now()
         WHERE r.id = $1 AND r.status = 'active' AND r.claimed_at = $2::timestamptz
         RETURNING ${RULE_COLUMNS}`,
        [rule.id, rule.claim, ...values],
      )) as [RuleRow[], number];
      if (row && row.status !== 'active')
        this.eventBus.publish(new AutomationRuleChangedEvent(rule.player_id, ruleDto(row), trade));
    } catch (err) {
      // The claim expires and the sweep settles the rule from the ledger.
      if (!this.database.skipIfUnavailable('automation.settle', err))
        this.logger.warn({ err, ruleId: rule.id }, 'Could not record an automation rule’s outcome');
    }
  }
}
