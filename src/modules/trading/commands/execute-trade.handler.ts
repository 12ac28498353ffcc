import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { inTransaction } from '../../../infrastructure/database/transaction.js';
import { RateLimitService } from '../../../infrastructure/throttling/rate-limit.service.js';
import { rateLimited } from '../../../infrastructure/throttling/throttling.js';
import { CreditsChangedEvent } from '../../players/events/credits-changed.event.js';
import { isValidIdempotencyKey, requestHash } from '../domain/idempotency.js';
import { planTrade, type TradePlan } from '../domain/trade-rules.js';
import { assertQuantity, TradingErrors } from '../domain/trading.errors.js';
import type { TradeResultDto } from '../dto/trade.response.dto.js';
import { MarketChangedEvent } from '../events/market-changed.event.js';
import { TradeExecutedEvent } from '../events/trade-executed.event.js';
import { TradeRejectedEvent } from '../events/trade-rejected.event.js';
import { ExecuteTradeCommand, type ExecuteTradeResult } from './execute-trade.command.js';
import { loadTradeContext, type LoadedTradeContext } from './trade-context.js';

const CONCURRENT_DUPLICATE = 'TRADING.CONCURRENT_DUPLICATE';
/** Refusals by the game's rules (not malformed requests, not the idempotency protocol). */
const REJECTION_STATUSES = new Set([403, 409, 423]);

/** All writes of a trade in one statement; each step runs only if the one before it changed its row. */
const APPLY_TRADE = `
WITH k AS (
  INSERT INTO trade_idempotency_keys AS t (player_id, key, request_hash, trade_id, response, created_at, expires_at)
  VALUES ($1, $2, $3, $4, $5::jsonb, $19, $19::timestamptz + make_interval(hours => $6::int))
  ON CONFLICT (player_id, key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, trade_id = EXCLUDED.trade_id, response = EXCLUDED.response,
        created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
    WHERE t.expires_at <= now()
  RETURNING 1
), st AS (
  UPDATE stations SET treasury = treasury + $8::bigint
  WHERE id = $7 AND treasury + $8::bigint >= 0 AND EXISTS (SELECT 1 FROM k)
  RETURNING treasury
), p AS (
  UPDATE players SET credits = credits + $9::bigint, updated_at = now()
  WHERE id = $1 AND credits + $9::bigint >= 0 AND EXISTS (SELECT 1 FROM st)
  RETURNING credits
), sh AS (
  UPDATE ships SET
    cargo = CASE WHEN coalesce((cargo ->> $11::text)::int, 0) + $12::int = 0 THEN cargo - $11::text
                 ELSE jsonb_set(cargo, ARRAY[$11::text], to_jsonb(coalesce((cargo ->> $11::text)::int, 0) + $12::int))
            END,
    cargo_used = cargo_used + $12::int, updated_at = now()
  WHERE id = $10 AND cargo_used + $12::int BETWEEN 0 AND capacity
    AND coalesce((cargo ->> $11::text)::int, 0) + $12::int >= 0 AND EXISTS (SELECT 1 FROM p)
  RETURNING cargo_used
), m AS (
  UPDATE station_markets SET stock = stock - $12::int, buy_price = $13, sell_price = $14, updated_at = now(),
    regen_at = CASE WHEN (production_rate > 0 AND stock >= capacity) OR (production_rate < 0 AND stock <= 0)
                    THEN now() ELSE regen_at END
  WHERE station_id = $7 AND commodity = $11::text AND stock - $12::int BETWEEN 0 AND capacity
    AND EXISTS (SELECT 1 FROM sh)
  RETURNING stock
), ins AS (
  INSERT INTO market_transactions (id, player_id, station_id, ship_id, commodity, action, quantity, unit_price,
                                   total, credits_after, idempotency_key, created_at)
  SELECT $4, $1, $7, $10, $11::text, $15, $16, $17, $18::bigint, p.credits, $2, $19 FROM p, m
  RETURNING credits_after
)
SELECT (SELECT count(*) FROM k)::int AS claimed, (SELECT count(*) FROM st)::int AS paid,
       (SELECT credits_after::text FROM ins) AS credits_after`;

/**
 * One trade, exactly once per (player, Idempotency-Key): a locking read of player, ship and market (fixed
 * order), the pure rules, then one guarded write statement. A replay of a committed key returns the stored
 * result; the same key with another body is a 422. Events go out only after the commit.
 */
@CommandHandler(ExecuteTradeCommand)
export class ExecuteTradeHandler implements ICommandHandler<ExecuteTradeCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
    private readonly limits: RateLimitService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ actor, request, idempotencyKey }: ExecuteTradeCommand): Promise<ExecuteTradeResult> {
    const playerId = actor.playerId;
    if (!playerId) throw TradingErrors.playersOnly();
    if (!isValidIdempotencyKey(idempotencyKey)) throw TradingErrors.idempotencyKeyRequired();
    assertQuantity(request.quantity, this.config.tradeMaxQuantity);
    const limiter = this.limits.limiter('trades', {
      points: this.config.tradeRateLimit,
      durationSeconds: this.config.tradeRateWindowSeconds,
    });
    const verdict = await this.limits.consume(limiter, playerId);
    if (!verdict.allowed) throw rateLimited(verdict.retryAfterSeconds);

    const hash = requestHash(request);
    const tradeId = randomUUID();
    const at = new Date();
    let outcome: { trade: TradeResultDto; creditsBefore: string } | { replay: TradeResultDto };
    try {
      outcome = await inTransaction(this.dataSource, async (m) => {
        let ctx: LoadedTradeContext;
        let plan: TradePlan;
        try {
          ctx = await loadTradeContext(m, playerId, request.stationId, request.commodity, request.action, {
            lock: true,
            idempotencyKey,
          });
          if (ctx.existing) return { replay: this.replayOf(ctx.existing, hash) };
          plan = planTrade(request, ctx);
        } catch (err) {
          // A duplicate that waited for the player lock reads the key in its statement's older snapshot and
          // may then see the first trade's effects as a rejection. A fresh read (we hold the lock) settles it.
          if (!(err instanceof AppError)) throw err;
          const stored = await this.findStored(m, playerId, idempotencyKey);
          if (stored) return { replay: this.replayOf(stored, hash) };
          throw err;
        }
        const trade: TradeResultDto = {
          trade_id: tradeId,
          station_id: request.stationId,
          commodity: request.commodity,
          action: request.action,
          quantity: request.quantity,
          unit_price: plan.unitPrice,
          total: plan.total.toString(),
          credits_after: plan.creditsAfter.toString(),
          ship: {
            id: ctx.shipId,
            capacity: ctx.ship.capacity,
            cargo_used: plan.cargoUsedAfter,
            held: plan.heldAfter,
          },
          market: {
            stock: plan.stockAfter,
            buy_price: plan.pricesAfter.buyPrice,
            sell_price: plan.pricesAfter.sellPrice,
          },
          executed_at: at.toISOString(),
        };
        const [row] = await m.query(APPLY_TRADE, [
          playerId,
          idempotencyKey,
          hash,
          tradeId,
          JSON.stringify(trade),
          this.config.idempotencyTtlHours,
          request.stationId,
          plan.treasuryDelta.toString(),
          plan.creditsDelta.toString(),
          ctx.shipId,
          request.commodity,
          plan.cargoDelta,
          plan.pricesAfter.buyPrice,
          plan.pricesAfter.sellPrice,
          request.action,
          request.quantity,
          plan.unitPrice,
          plan.total.toString(),
          at,
        ]);
        if (row.claimed === 0) throw new AppError(CONCURRENT_DUPLICATE, 409, 'duplicate in flight');
        if (row.paid === 0) throw TradingErrors.insufficientTreasury(plan.total.toString());
        if (row.credits_after !== trade.credits_after) {
          // Unreachable while the rows are locked; rolling back beats writing a ledger that disagrees.
          throw new Error(`trade ${tradeId}: state moved under a lock (${row.credits_after})`);
        }
        return { trade, creditsBefore: ctx.player.credits.toString() };
      });
    } catch (err) {
      if (err instanceof AppError && err.code === CONCURRENT_DUPLICATE) {
        return { trade: await this.storedResult(playerId, idempotencyKey, hash), replayed: true };
      }
      // A business rule said no (nothing was written): the risk rules count repeated refusals.
      if (err instanceof AppError && REJECTION_STATUSES.has(err.status) && err.code.startsWith('TRADING.')) {
        this.eventBus.publish(
          new TradeRejectedEvent(
            playerId,
            request.stationId,
            request.commodity,
            request.action,
            err.code,
            at,
          ),
        );
      }
      throw err;
    }
    if ('replay' in outcome) return { trade: outcome.replay, replayed: true };

    const t = outcome.trade;
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
      new CreditsChangedEvent(playerId, outcome.creditsBefore, t.credits_after, 'trade', actor.userId),
    );
    this.eventBus.publish(
      new MarketChangedEvent(
        t.station_id,
        t.commodity,
        t.market.buy_price,
        t.market.sell_price,
        t.market.stock,
      ),
    );
    return { trade: t, replayed: false };
  }

  private replayOf(existing: { hash: string; response: unknown }, hash: string): TradeResultDto {
    if (existing.hash !== hash) throw TradingErrors.idempotencyKeyReused();
    return existing.response as TradeResultDto;
  }

  /** A concurrent request with the same key committed first (ON CONFLICT waited for it): answer with its result. */
  private async storedResult(playerId: string, key: string, hash: string): Promise<TradeResultDto> {
    const row = await this.findStored(this.dataSource.manager, playerId, key);
    if (!row) throw new Error('idempotency key vanished after a conflict');
    return this.replayOf(row, hash);
  }

  private async findStored(
    m: EntityManager,
    playerId: string,
    key: string,
  ): Promise<{ hash: string; response: unknown } | undefined> {
    const [row] = await m.query(
      `SELECT request_hash AS hash, response FROM trade_idempotency_keys
       WHERE player_id = $1 AND key = $2 AND expires_at > now()`,
      [playerId, key],
    );
    return row;
  }
}
