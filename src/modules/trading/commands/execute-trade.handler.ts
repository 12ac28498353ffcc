import { randomUUID } from 'node:crypto';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { PreparedStatements } from '../../../infrastructure/database/prepared-statements.js';
import { inTransaction, isRetryableAbort } from '../../../infrastructure/database/transaction.js';
import { MetricsService } from '../../../infrastructure/metrics/metrics.service.js';
import { RateLimitService } from '../../../infrastructure/throttling/rate-limit.service.js';
import { rateLimited } from '../../../infrastructure/throttling/throttling.js';
import { CreditsChangedEvent } from '../../players/events/credits-changed.event.js';
import { isReservedIdempotencyKey, isValidIdempotencyKey, requestHash } from '../domain/idempotency.js';
import { planTrade, type TradePlan, type TradeRequest } from '../domain/trade-rules.js';
import { assertQuantity, TradingErrors } from '../domain/trading.errors.js';
import { marketAfter, planFigures, type TradeResultDto } from '../dto/trade.response.dto.js';
import { MarketChangedEvent } from '../events/market-changed.event.js';
import { TradeExecutedEvent } from '../events/trade-executed.event.js';
import { TradeRejectedEvent } from '../events/trade-rejected.event.js';
import { ExecuteTradeCommand, type ExecuteTradeResult } from './execute-trade.command.js';
import {
  readStoredTrade,
  readTradeContext,
  type LoadedTradeContext,
  type SqlRunner,
  type StoredTrade,
} from './trade-context.js';

/** Refusals by the game's rules (not malformed requests, not the idempotency protocol). */
const REJECTION_STATUSES = new Set([403, 409, 423]);
/** Unlocked attempts before a trade falls back to holding its rows (a hot market kept moving under it). */
const OPTIMISTIC_ATTEMPTS = 3;
/** Every attempt in all; a locked attempt can only lose to a treasury change or a halt. */
const MAX_ATTEMPTS = 6;

const APPLY_TRADE = `SELECT apply_trade($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                                     $17, $18, $19, $20, $21, $22, $23, $24, $25, $26) AS outcome`;
type ApplyOutcome = 'ok' | 'stale' | 'duplicate';

/** A committed trade, with what its events need beyond its result: the credits before and the market's version. */
type Applied = { trade: TradeResultDto; creditsBefore: bigint; marketVersion: number };
type Attempt = Applied | { replay: StoredTrade } | 'stale';

/**
 * One trade, exactly once per (player, Idempotency-Key). Each attempt reads the trade's context, runs the
 * pure rules, and hands the plan to apply_trade(), which writes everything in one statement if, under its
 * locks, the rows still hold what was read ('stale' otherwise: plan again). The first attempts read without
 * locks, so no lock is held while the server works; a trade that keeps losing on a hot market then plans
 * under the rows' locks in a transaction, which cannot lose. A replay of a committed key returns the stored
 * result; the same key with another body is a 422. Events go out only after the commit.
 *
 * A used key answers the same whatever else holds: past the rate limit, and whether or not the new body's
 * station and market or the player's ship still join. The limit is still asked first, so a flood costs the
 * database one key probe a request instead of a trade's read; a replay gives its point back.
 */
@CommandHandler(ExecuteTradeCommand)
export class ExecuteTradeHandler implements ICommandHandler<ExecuteTradeCommand> {
  private readonly logger = new Logger(ExecuteTradeHandler.name);
  private readonly prepared: SqlRunner = (name, text, values) => this.sql.query(name, text, values);

  constructor(
    private readonly dataSource: DataSource,
    private readonly sql: PreparedStatements,
    private readonly eventBus: EventBus,
    private readonly limits: RateLimitService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({
    actor,
    request,
    idempotencyKey,
    automated,
  }: ExecuteTradeCommand): Promise<ExecuteTradeResult> {
    const playerId = actor.playerId;
    if (!playerId) throw TradingErrors.playersOnly();
    if (!isValidIdempotencyKey(idempotencyKey)) throw TradingErrors.idempotencyKeyRequired();
    if (!automated && isReservedIdempotencyKey(idempotencyKey)) throw TradingErrors.idempotencyKeyReserved();
    assertQuantity(request.quantity, this.config.tradeMaxQuantity);
    const limiter = this.limits.limiter('trades', {
      points: this.config.tradeRateLimit,
      durationSeconds: this.config.tradeRateWindowSeconds,
    });
    const hash = requestHash(request);
    const replayed = async (stored: StoredTrade): Promise<ExecuteTradeResult> => {
      const trade = replayOf(stored, hash);
      await this.limits.refund(limiter, playerId);
      return { trade, replayed: true };
    };
    const verdict = await this.limits.consume(limiter, playerId);
    if (!verdict.allowed) {
      const stored = await readStoredTrade(this.prepared, playerId, idempotencyKey);
      if (!stored) throw rateLimited(verdict.retryAfterSeconds);
      return replayed(stored);
    }

    const tradeId = randomUUID();
    const rejectedAt = new Date();
    try {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const mode = attempt <= OPTIMISTIC_ATTEMPTS ? 'optimistic' : 'locked';
        const outcome = await (
          mode === 'optimistic'
            ? this.attempt(this.prepared, playerId, request, idempotencyKey, hash, tradeId)
            : inTransaction(this.dataSource, (m) =>
                this.attempt(
                  (_name, text, values) => m.query(text, values),
                  playerId,
                  request,
                  idempotencyKey,
                  hash,
                  tradeId,
                  true,
                ),
              )
        ).catch((err: unknown) => {
          if (isRetryableAbort(err)) return 'stale' as const;
          throw err;
        });
        this.metrics.tradeAttempts.inc({
          mode,
          outcome: outcome === 'stale' ? 'stale' : 'replay' in outcome ? 'replay' : 'ok',
        });
        if (outcome === 'stale') continue;
        if ('replay' in outcome) return await replayed(outcome.replay);
        this.published(playerId, actor.userId, outcome);
        return { trade: outcome.trade, replayed: false };
      }
    } catch (err) {
      // A business rule said no (nothing was written): the risk rules count a player's repeated refusals. Not
      // an automation rule's: it fires on the posted price and may find the whole quantity's price beyond its
      // limit at each change of the market, which says nothing of the player.
      if (
        !automated &&
        err instanceof AppError &&
        REJECTION_STATUSES.has(err.status) &&
        err.code.startsWith('TRADING.')
      ) {
        this.eventBus.publish(
          new TradeRejectedEvent(
            playerId,
            request.stationId,
            request.commodity,
            request.action,
            err.code,
            rejectedAt,
          ),
        );
      }
      throw err;
    }
    this.logger.warn(
      { playerId, stationId: request.stationId, commodity: request.commodity },
      'Trade contended',
    );
    throw TradingErrors.contended();
  }

  /** One read, plan and apply. `lock`: inside a transaction, reading with FOR NO KEY UPDATE. */
  private async attempt(
    run: SqlRunner,
    playerId: string,
    request: TradeRequest,
    key: string,
    hash: string,
    tradeId: string,
    lock = false,
  ): Promise<Attempt> {
    const ctx = await readTradeContext(run, playerId, request, { idempotencyKey: key, lock });
    if (ctx.existing) return { replay: ctx.existing };
    const plan = planTrade(request, ctx);
    const at = new Date();
    const trade = tradeResult(tradeId, request, ctx, plan, at);
    const [row] = await run<{ outcome: ApplyOutcome }>('apply-trade', APPLY_TRADE, [
      playerId,
      ctx.shipId,
      request.stationId,
      ctx.station.sector,
      request.commodity,
      request.action,
      request.quantity,
      plan.unitPrice,
      plan.total.toString(),
      ctx.player.credits.toString(),
      plan.creditsDelta.toString(),
      ctx.ship.cargoUsed,
      ctx.ship.held,
      plan.cargoDelta,
      ctx.market.stock,
      plan.pricesAfter.buyPrice,
      plan.pricesAfter.sellPrice,
      plan.treasuryDelta.toString(),
      tradeId,
      key,
      hash,
      JSON.stringify(trade),
      this.config.idempotencyTtlHours,
      at,
      ctx.marketVersion,
      plan.postedPrice,
    ]);
    if (row?.outcome === 'ok')
      return { trade, creditsBefore: ctx.player.credits, marketVersion: ctx.marketVersion + 1 };
    if (row?.outcome === 'duplicate') {
      // A twin with this key committed between our read and our claim: answer with its result.
      const stored = await readStoredTrade(run, playerId, key);
      if (stored) return { replay: stored };
    }
    return 'stale';
  }

  /**
   * The trade's events, after the commit, in the order their socket fan-outs run: the trade itself, the new
   * prices every other trader acts on, then the credits change (which the trade's update already carries).
   */
  private published(
    playerId: string,
    userId: string,
    { trade: t, creditsBefore, marketVersion }: Applied,
  ): void {
    const at = new Date(t.executed_at);
    this.eventBus.publish(
      new TradeExecutedEvent(
        t.trade_id,
        playerId,
        t.station_id,
        t.commodity,
        t.action,
        t.quantity,
        t.unit_price,
        t.total,
        t.credits_after,
        at,
      ),
    );
    this.eventBus.publish(
      new MarketChangedEvent(
        t.station_id,
        t.commodity,
        t.market.buy_price,
        t.market.sell_price,
        t.market.stock,
        marketVersion,
      ),
    );
    this.eventBus.publish(
      new CreditsChangedEvent(playerId, creditsBefore.toString(), t.credits_after, 'trade', userId),
    );
  }
}

function replayOf(existing: StoredTrade, hash: string): TradeResultDto {
  if (existing.hash !== hash) throw TradingErrors.idempotencyKeyReused();
  return existing.response as TradeResultDto;
}

function tradeResult(
  tradeId: string,
  request: TradeRequest,
  ctx: LoadedTradeContext,
  plan: TradePlan,
  at: Date,
): TradeResultDto {
  return {
    trade_id: tradeId,
    ...planFigures(request, plan),
    ship: {
      id: ctx.shipId,
      capacity: ctx.ship.capacity,
      cargo_used: plan.cargoUsedAfter,
      held: plan.heldAfter,
    },
    market: marketAfter(plan),
    executed_at: at.toISOString(),
  };
}
