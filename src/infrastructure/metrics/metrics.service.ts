import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { timePoolWaits } from '../database/pool-wait.js';
import { RedisAvailability } from '../redis/redis-availability.js';
import { REDIS } from '../redis/redis.module.js';
import type { RecoveryBufferObserver } from '../websocket/realtime-io.adapter.js';

/** Seconds; dense where the targets are (sub-50 ms). */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export interface RouteLatency {
  method: string;
  route: string;
  count: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

/** Prometheus metrics of one app instance (its own registry, so several apps can share a test process). */
@Injectable()
export class MetricsService implements OnModuleDestroy, RecoveryBufferObserver {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Trade attempts by mode (optimistic, locked) and outcome (ok, stale, replay): contention at a glance. */
  readonly tradeAttempts: Counter<'mode' | 'outcome'>;
  /** Automation checks of a market by result: what each market change costs the database. */
  readonly automationChecks: Counter<'result'>;
  /** GET /audit/verify calls by outcome: complete, partial (limit reached), abandoned, or why refused. */
  readonly auditVerifyCalls: Counter<'outcome'>;
  /** Audit rows chain walks checked: a walk's progress, statement by statement. */
  readonly auditVerifyRows: Counter;
  /** Chain walks running on this node. */
  readonly auditVerifyWalks: Gauge;
  private readonly poolGauges: Gauge<'state'>;
  /** How long callers waited for a pooled connection: the queue in front of the database. */
  readonly poolWait: Histogram;
  /** Socket.IO fan-out on this node: publish → the last socket write of the message, by namespace and type. */
  readonly realtimeDelivery: Histogram<'namespace' | 'type'>;
  /** Messages handed to sockets on this node, by namespace and type. */
  readonly realtimeMessages: Counter<'namespace' | 'type'>;
  private readonly recoveryBuffers = new Map<string, () => number>();
  private readonly socketCounts = new Map<string, () => number>();
  private readonly recoveryEvicted: Counter<'namespace'>;

  constructor(dataSource: DataSource, @Inject(REDIS) redis: Redis | null, availability: RedisAvailability) {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route pattern',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.tradeAttempts = new Counter({
      name: 'trade_attempts_total',
      help: 'Trade attempts by mode (optimistic, locked) and outcome (ok, stale, replay)',
      labelNames: ['mode', 'outcome'],
      registers: [this.registry],
    });
    this.automationChecks = new Counter({
      name: 'automation_checks_total',
      help: 'Automation checks of a market (one claim statement each) by result: claimed (rules fired), none_due (active rules, none due), no_rules (none active: the next check waits AUTOMATION_IDLE_HOLD_MS), failed',
      labelNames: ['result'],
      registers: [this.registry],
    });
    this.auditVerifyCalls = new Counter({
      name: 'audit_verify_calls_total',
      help: 'GET /audit/verify calls by outcome: complete, partial, abandoned (client gone), failed, rate_limited, in_progress, busy',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.auditVerifyRows = new Counter({
      name: 'audit_verify_rows_checked_total',
      help: 'Audit rows checked by hash chain walks on this node',
      registers: [this.registry],
    });
    this.auditVerifyWalks = new Gauge({
      name: 'audit_verify_walks_running',
      help: 'Hash chain walks running on this node',
      registers: [this.registry],
    });
    this.poolWait = new Histogram({
      name: 'db_pool_wait_seconds',
      help: 'Time a caller waited for a pooled database connection (statements not included)',
      buckets: [0.0001, 0.0005, ...LATENCY_BUCKETS],
      registers: [this.registry],
    });
    this.realtimeDelivery = new Histogram({
      name: 'realtime_delivery_seconds',
      help: 'Socket.IO fan-out of messages published on this node: from publish to the last local socket write',
      labelNames: ['namespace', 'type'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.realtimeMessages = new Counter({
      name: 'realtime_messages_delivered_total',
      help: 'Socket.IO messages handed to sockets on this node (published here or on another node)',
      labelNames: ['namespace', 'type'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'realtime_recovery_buffer_packets',
      help: 'Packets the in-memory Socket.IO adapter keeps for connection state recovery, by namespace (embedded mode)',
      labelNames: ['namespace'],
      registers: [this.registry],
      collect() {
        for (const [namespace, size] of buffers) this.set({ namespace }, size());
      },
    });
    const buffers = this.recoveryBuffers;
    const sockets = this.socketCounts;
    new Gauge({
      name: 'realtime_connected_sockets',
      help: 'Socket.IO sockets connected to this node, by namespace',
      labelNames: ['namespace'],
      registers: [this.registry],
      collect() {
        for (const [namespace, size] of sockets) this.set({ namespace }, size());
      },
    });
    this.recoveryEvicted = new Counter({
      name: 'realtime_recovery_evicted_total',
      help: 'Packets dropped from the recovery buffer to keep it under WS_RECOVERY_BUFFER_PACKETS; clients that missed them start a new session',
      labelNames: ['namespace'],
      registers: [this.registry],
    });
    if (redis) {
      // Readiness no longer fails on Redis (the node serves without it): this is what to alert on.
      new Gauge({
        name: 'redis_up',
        help: 'Whether Redis answered a PING from this node when scraped (1) or not (0: rate limits count per node, no cache, presence unknown)',
        registers: [this.registry],
        async collect() {
          this.set((await availability.probe()).up ? 1 : 0);
        },
      });
    }
    const master = (dataSource.driver as unknown as { master?: Pool }).master;
    if (master) timePoolWaits(master, (seconds) => this.poolWait.observe(seconds));
    this.poolGauges = new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect: () => {
        const pool = (
          dataSource.driver as unknown as {
            master?: { totalCount: number; idleCount: number; waitingCount: number };
          }
        ).master;
        if (!pool) return;
        this.poolGauges.set({ state: 'total' }, pool.totalCount);
        this.poolGauges.set({ state: 'idle' }, pool.idleCount);
        this.poolGauges.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }

  trackRecoveryBuffer(namespace: string, size: () => number): void {
    this.recoveryBuffers.set(namespace, size);
  }

  /** The sockets a namespace holds on this node, read at each scrape. */
  trackSockets(namespace: string, size: () => number): void {
    this.socketCounts.set(namespace, size);
  }

  recoveryPacketsEvicted(namespace: string, count: number): void {
    this.recoveryEvicted.inc({ namespace }, count);
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** p50/p95/p99 per route, interpolated from the live histogram buckets (all statuses together). */
  async routeLatencies(): Promise<RouteLatency[]> {
    const metric = await this.httpDuration.get();
    const byRoute = new Map<
      string,
      { method: string; route: string; buckets: Map<number, number>; count: number }
    >();
    for (const v of metric.values) {
      const method = String(v.labels.method);
      const route = String(v.labels.route);
      const key = `${method} ${route}`;
      let entry = byRoute.get(key);
      if (!entry) {
        entry = { method, route, buckets: new Map(), count: 0 };
        byRoute.set(key, entry);
      }
      if (v.metricName?.endsWith('_bucket')) {
        const rawLe = (v.labels as Record<string, string | number | undefined>).le;
        const le = rawLe === '+Inf' ? Infinity : Number(rawLe);
        entry.buckets.set(le, (entry.buckets.get(le) ?? 0) + v.value);
      } else if (v.metricName?.endsWith('_count')) {
        entry.count += v.value;
      }
    }
    return [...byRoute.values()]
      .filter((e) => e.count > 0)
      .map((e) => {
        const cumulative = [...e.buckets.entries()].sort((a, b) => a[0] - b[0]);
        return {
          method: e.method,
          route: e.route,
          count: e.count,
          p50_ms: quantileFromBuckets(cumulative, e.count, 0.5),
          p95_ms: quantileFromBuckets(cumulative, e.count, 0.95),
          p99_ms: quantileFromBuckets(cumulative, e.count, 0.99),
        };
      })
      .sort((a, b) => b.count - a.count);
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }
}

/** Linear interpolation inside the bucket holding the q-th observation, as Prometheus' histogram_quantile. */
export function quantileFromBuckets(cumulative: [number, number][], total: number, q: number): number {
  if (total === 0) return 0;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of cumulative) {
    if (count >= rank) {
      if (le === Infinity) return Math.round(prevLe * 1000 * 100) / 100;
      const inBucket = count - prevCount;
      const fraction = inBucket === 0 ? 0 : (rank - prevCount) / inBucket;
      return Math.round((prevLe + (le - prevLe) * fraction) * 1000 * 100) / 100;
    }
    prevLe = le;
    prevCount = count;
  }
  return Math.round(prevLe * 1000 * 100) / 100;
}
