import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';

/** Typed, validated configuration. Built once from the environment (see loadConfig); nothing else reads process.env. */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Postgres connection string; undefined means the embedded PGlite database. */
  databaseUrl?: string;
  /** Where embedded PGlite keeps its files; 'memory://' keeps nothing. */
  pgliteDataDir: string;
  dbPoolSize: number;
  /** How long a request waits for a pooled connection before a 503. */
  dbConnectTimeoutMs: number;
  /**
   * Postgres' statement_timeout for the app's sessions: a statement running longer (waiting on a lock held too
   * long, or a database overloaded) is cancelled and its request refused 503 DATABASE_TIMEOUT. 0: none.
   */
  dbStatementTimeoutMs: number;
  /**
   * How long a statement's answer may take to arrive before the connection is given up (a partition or a
   * stalled server): above dbStatementTimeoutMs, so only a silent server reaches it. 0: never (the embedded
   * PGlite, in-process, never uses it).
   */
  dbQueryTimeoutMs: number;
  migrationsRun: boolean;
  redisUrl?: string;
  redisKeyPrefix: string;
  /**
   * How long a Redis command may go unanswered before it fails (a partition, a stalled server): rate limits then
   * fall back to memory, instead of requests hanging. Above the Socket.IO adapter's 1 s blocking read.
   */
  redisCommandTimeoutMs: number;
  /**
   * How long a starting node waits for a Redis it cannot reach (restarting, failing over, starting beside it)
   * before it gives up; a Redis that answers with an error (a wrong password) fails the start at once.
   */
  redisStartTimeoutMs: number;
  jwtSecret: string;
  /** True when the secret was generated at boot (embedded demo only): tokens die with the process. */
  jwtSecretGenerated: boolean;
  jwtAccessTtlSeconds: number;
  refreshTtlSeconds: number;
  seedAdminUsername?: string;
  seedAdminPassword?: string;
  seedDemo: boolean;
  corsOrigins: string[];
  throttleLimit: number;
  throttleTtlSeconds: number;
  authThrottleLimit: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  analyticsRefreshSeconds: number;
  playersExactCountLimit: number;
  playersCountCacheSeconds: number;
  swaggerEnabled: boolean;
  /**
   * Whose X-Forwarded-For to believe: false (nobody's: the peer is the client), the proxies in front by address
   * (`10.0.0.5,172.16.0.0/12`, or proxy-addr's `loopback`, `linklocal`, `uniquelocal`: the client is the nearest
   * address not theirs, whatever a client wrote into the header before it), or true (every hop: the left-most
   * address, which a client forges at will unless the proxy in front overwrites the header).
   */
  trustProxy: boolean | string;
  /**
   * How long a client may take to send a whole request (headers and body) before it is answered 408 and
   * dropped: a client trickling bytes (slowloris) holds nothing for long. Checked every second.
   */
  httpRequestTimeoutMs: number;
  /** Trades a player may execute per tradeRateWindowSeconds (REST and Socket.IO together). */
  tradeRateLimit: number;
  tradeRateWindowSeconds: number;
  /** The largest quantity one trade may move. */
  tradeMaxQuantity: number;
  /** Active automation rules one player may hold (AUTOMATION_MAX_ACTIVE_RULES). */
  automationMaxActiveRules: number;
  /** Executed, failed and cancelled automation rules are deleted this many days after they finished. */
  automationRuleRetentionDays: number;
  /** How long a trade's Idempotency-Key and its result are kept (at least 24 h). */
  idempotencyTtlHours: number;
  /** Stock regeneration tick; 0 turns regeneration off (tests that count units). */
  marketRegenSeconds: number;
  /** price_history snapshot tick; 0 turns snapshots off. */
  priceSnapshotSeconds: number;
  priceHistoryRetentionDays: number;
  /** ARIA's prediction pass (one node at a time); 0 turns it off. */
  ariaPredictionSeconds: number;
  /** The price_history window a prediction fits its trend over. */
  ariaPredictionWindowMinutes: number;
  /** How far ahead a prediction looks. */
  ariaPredictionHorizonMinutes: number;
  /** Predictions older than this are purged on the prediction tick. */
  ariaPredictionRetentionHours: number;
  /** An ai_alert needs a predicted change of at least this many percent... */
  ariaAlertMinChangePct: number;
  /** ...and at least this confidence (0..1). */
  ariaAlertMinConfidence: number;
  /** At most one /market market_update per station and commodity per this many ms. */
  marketUpdateCoalesceMs: number;
  /**
   * After a check finds no active automation rule on a market, that market's next check waits this long (the
   * changes meanwhile get one check at its end); a rule created on this node is checked at once.
   */
  automationIdleHoldMs: number;
  /** Incoming Socket.IO messages allowed per connection (all its namespaces) per second (WS_RATE_LIMIT). */
  wsRateLimitPerSecond: number;
  /** Socket.IO handshakes (namespace connections) allowed per user per minute, every node together. */
  wsHandshakeRateLimit: number;
  /** Packets the embedded (in-memory) Socket.IO adapter keeps per namespace for connection state recovery. */
  wsRecoveryBufferPackets: number;
  /** Period of the /admin metrics_update tick (REALTIME_METRICS_INTERVAL_MS). */
  realtimeMetricsIntervalMs: number;
  /** How long a connected player socket keeps the player online without a heartbeat (PRESENCE_SOCKET_TTL_SECONDS). */
  presenceSocketTtlSeconds: number;
  /** Players per bulk-operation batch (one transaction each). */
  bulkBatchSize: number;
  /** A bulk job's lease: a worker silent this long is presumed dead and its job is taken over. */
  bulkLeaseMs: number;
  bulkPollMs: number;
  /** Pause between batches, to spare the database on a busy day. */
  bulkBatchPauseMs: number;
  bulkWorkerEnabled: boolean;
  /** Batches of one job a node runs at once (each on its own slice of the players, its own connection). */
  bulkWorkerConcurrency: number;
  /** Id-range slices a job is split into (the most parallelism any number of batch loops can get). */
  bulkSlices: number;
  bulkRateLimitPerHour: number;
  /** GET /audit/verify calls one user may make per auditVerifyRateWindowSeconds, every node together. */
  auditVerifyRateLimit: number;
  auditVerifyRateWindowSeconds: number;
  /** Chain walks one user may have running at once on a node. */
  auditVerifyWalksPerUser: number;
  /** Chain walks a node runs at once, every user together: the rest of the pool stays for the game. */
  auditVerifyMaxWalks: number;
  /** Rows per statement of a chain walk; the walk checks between statements whether its client is still there. */
  auditVerifyChunkRows: number;
  emergencyBulkMax: number;
  banSweepSeconds: number;
}

/**
 * DB_STATEMENT_TIMEOUT_MS when unset: 30 s, or below DB_QUERY_TIMEOUT_MS when that is set lower (1 s below it,
 * at most half of it off), so that the server cancels a slow statement before the node gives up on its
 * connection.
 */
function defaultStatementTimeoutMs(queryTimeoutMs: number): number {
  if (queryTimeoutMs === 0) return 30_000;
  return Math.min(30_000, Math.max(queryTimeoutMs - 1000, Math.ceil(queryTimeoutMs / 2)));
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the environment. Every problem is collected and reported together, each naming its
 * variable, so an operator fixes a bad deployment in one pass.
 */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return def;
    if (!/^-?\d+$/.test(raw)) {
      problems.push(`${name} must be an integer, got "${raw}"`);
      return def;
    }
    const n = Number(raw);
    if (n < min || n > max) problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const num = (name: string, def: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return def;
    if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw)) {
      problems.push(`${name} must be a number, got "${raw}"`);
      return def;
    }
    const n = Number(raw);
    if (n < min || n > max) problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const bool = (name: string, def: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return def;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return def;
  };
  const trustProxy = (): boolean | string => {
    const raw = str('TRUST_PROXY');
    if (raw === undefined || /^(true|false|yes|no|1|0)$/i.test(raw)) return bool('TRUST_PROXY', false);
    const entries = raw.split(',').map((e) => e.trim());
    const bad = entries.filter((e) => !isProxyAddress(e));
    if (bad.length > 0)
      problems.push(
        `TRUST_PROXY must be true, false or a comma-separated list of proxy addresses (IP, IP/prefix, loopback, linklocal, uniquelocal); not ${bad.map((e) => `"${e}"`).join(', ')}`,
      );
    return entries.join(',');
  };
  const oneOf = <T extends string>(name: string, def: T, allowed: readonly T[]): T => {
    const raw = str(name);
    if (raw === undefined) return def;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return def;
    }
    return raw as T;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };

  const nodeEnv = oneOf('NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);

  let jwtSecret = str('JWT_SECRET');
  let jwtSecretGenerated = false;
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    problems.push('JWT_SECRET must be at least 32 bytes');
  }
  if (jwtSecret === undefined) {
    if (databaseUrl !== undefined || nodeEnv === 'production') {
      problems.push(
        'JWT_SECRET is required (at least 32 bytes) when DATABASE_URL is set or NODE_ENV=production',
      );
    } else {
      // Embedded demo only: a fresh secret per process, so no secret ever lives in the code.
      jwtSecret = randomBytes(48).toString('base64url');
      jwtSecretGenerated = true;
    }
  }

  const seedAdminUsername = str('SEED_ADMIN_USERNAME');
  const seedAdminPassword = str('SEED_ADMIN_PASSWORD');
  if ((seedAdminUsername === undefined) !== (seedAdminPassword === undefined)) {
    problems.push('SEED_ADMIN_USERNAME and SEED_ADMIN_PASSWORD must be set together');
  }
  if (seedAdminPassword !== undefined && seedAdminPassword.length < 12) {
    problems.push('SEED_ADMIN_PASSWORD must be at least 12 characters');
  }
  if (seedAdminUsername !== undefined && !/^[A-Za-z0-9_.-]{3,32}$/.test(seedAdminUsername)) {
    problems.push('SEED_ADMIN_USERNAME must be 3-32 characters of letters, digits, _ . -');
  }

  const corsOrigins = (str('CORS_ORIGINS') ?? 'http://localhost:3000,http://127.0.0.1:3000')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(`CORS_ORIGINS entry "${origin}" must look like https://host[:port]`);
    }
  }

  const dbPoolSize = int('DB_POOL_SIZE', 10, 1, 500);
  const dbQueryTimeoutMs = int('DB_QUERY_TIMEOUT_MS', 35_000, 0, 3_600_000);
  const config: AppConfig = {
    nodeEnv,
    host: str('HOST') ?? '0.0.0.0',
    port: int('PORT', 3000, 0, 65535),
    databaseUrl,
    pgliteDataDir: str('PGLITE_DATA_DIR') ?? './data/pglite',
    dbPoolSize,
    dbConnectTimeoutMs: int('DB_CONNECT_TIMEOUT_MS', 10_000, 100, 300_000),
    dbStatementTimeoutMs: int(
      'DB_STATEMENT_TIMEOUT_MS',
      defaultStatementTimeoutMs(dbQueryTimeoutMs),
      0,
      3_600_000,
    ),
    dbQueryTimeoutMs,
    migrationsRun: bool('MIGRATIONS_RUN', true),
    redisUrl,
    redisKeyPrefix: str('REDIS_KEY_PREFIX') ?? 'sw:',
    redisCommandTimeoutMs: int('REDIS_COMMAND_TIMEOUT_MS', 2000, 1500, 60_000),
    redisStartTimeoutMs: int('REDIS_START_TIMEOUT_MS', 30_000, 0, 600_000),
    jwtSecret: jwtSecret ?? '',
    jwtSecretGenerated,
    jwtAccessTtlSeconds: int('JWT_ACCESS_TTL_SECONDS', 900, 10, 86400),
    refreshTtlSeconds: int('JWT_REFRESH_TTL_SECONDS', 14 * 86400, 60, 90 * 86400),
    seedAdminUsername,
    seedAdminPassword,
    seedDemo: bool('SEED_DEMO', databaseUrl === undefined && nodeEnv !== 'test'),
    corsOrigins,
    throttleLimit: int('THROTTLE_LIMIT', 600, 1, 1_000_000),
    throttleTtlSeconds: int('THROTTLE_TTL_SECONDS', 60, 1, 3600),
    authThrottleLimit: int('AUTH_THROTTLE_LIMIT', 20, 1, 100_000),
    logLevel: oneOf('LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    analyticsRefreshSeconds: int('ANALYTICS_REFRESH_SECONDS', 30, 1, 3600),
    playersExactCountLimit: int('PLAYERS_EXACT_COUNT_LIMIT', 10000, 100, 10_000_000),
    playersCountCacheSeconds: int('PLAYERS_COUNT_CACHE_SECONDS', 30, 0, 3600),
    swaggerEnabled: bool('SWAGGER_ENABLED', true),
    trustProxy: trustProxy(),
    httpRequestTimeoutMs: int('HTTP_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
    tradeRateLimit: int('TRADE_RATE_LIMIT', 10, 1, 1_000_000),
    tradeRateWindowSeconds: int('TRADE_RATE_WINDOW_SECONDS', 1, 1, 3600),
    tradeMaxQuantity: int('TRADE_MAX_QUANTITY', 10_000, 1, 1_000_000),
    automationMaxActiveRules: int('AUTOMATION_MAX_ACTIVE_RULES', 20, 1, 1000),
    automationRuleRetentionDays: int('AUTOMATION_RULE_RETENTION_DAYS', 90, 1, 3650),
    idempotencyTtlHours: int('IDEMPOTENCY_TTL_HOURS', 24, 24, 24 * 30),
    marketRegenSeconds: int('MARKET_REGEN_SECONDS', 30, 0, 86400),
    priceSnapshotSeconds: int('PRICE_SNAPSHOT_SECONDS', 300, 0, 86400),
    priceHistoryRetentionDays: int('PRICE_HISTORY_RETENTION_DAYS', 30, 1, 3650),
    ariaPredictionSeconds: int('ARIA_PREDICTION_SECONDS', 300, 0, 86400),
    ariaPredictionWindowMinutes: int('ARIA_PREDICTION_WINDOW_MINUTES', 180, 10, 7 * 1440),
    ariaPredictionHorizonMinutes: int('ARIA_PREDICTION_HORIZON_MINUTES', 60, 1, 1440),
    ariaPredictionRetentionHours: int('ARIA_PREDICTION_RETENTION_HOURS', 48, 1, 24 * 365),
    ariaAlertMinChangePct: num('ARIA_ALERT_MIN_CHANGE_PCT', 10, 0.1, 1000),
    ariaAlertMinConfidence: num('ARIA_ALERT_MIN_CONFIDENCE', 0.6, 0, 1),
    marketUpdateCoalesceMs: int('MARKET_UPDATE_COALESCE_MS', 100, 10, 60_000),
    automationIdleHoldMs: int('AUTOMATION_IDLE_HOLD_MS', 2000, 0, 600_000),
    wsRateLimitPerSecond: int('WS_RATE_LIMIT', 100, 1, 100_000),
    wsHandshakeRateLimit: int('WS_HANDSHAKE_RATE_LIMIT', 60, 1, 1_000_000),
    wsRecoveryBufferPackets: int('WS_RECOVERY_BUFFER_PACKETS', 50_000, 100, 10_000_000),
    realtimeMetricsIntervalMs: int('REALTIME_METRICS_INTERVAL_MS', 5000, 100, 3_600_000),
    presenceSocketTtlSeconds: int('PRESENCE_SOCKET_TTL_SECONDS', 90, 5, 86400),
    bulkBatchSize: int('BULK_BATCH_SIZE', 500, 1, 10_000),
    bulkLeaseMs: int('BULK_LEASE_MS', 15_000, 500, 600_000),
    // Polling finds jobs other nodes created or abandoned; embedded there is one node, woken by its own events,
    // and background statements are what the embedded socket server copes with worst.
    bulkPollMs: int('BULK_POLL_MS', databaseUrl ? 500 : 10_000, 20, 60_000),
    bulkBatchPauseMs: int('BULK_BATCH_PAUSE_MS', 0, 0, 60_000),
    bulkWorkerEnabled: bool('BULK_WORKER_ENABLED', true),
    // Embedded PGlite is one executor: parallel batches would only queue there.
    bulkWorkerConcurrency: int('BULK_WORKER_CONCURRENCY', databaseUrl ? 3 : 1, 1, 16),
    bulkSlices: int('BULK_SLICES', 8, 1, 256),
    bulkRateLimitPerHour: int('BULK_RATE_LIMIT_PER_HOUR', 1000, 1, 1_000_000),
    auditVerifyRateLimit: int('AUDIT_VERIFY_RATE_LIMIT', 30, 1, 1_000_000),
    auditVerifyRateWindowSeconds: int('AUDIT_VERIFY_RATE_WINDOW_SECONDS', 60, 1, 86400),
    auditVerifyWalksPerUser: int('AUDIT_VERIFY_WALKS_PER_USER', 1, 1, 100),
    // Below the pool, so walks never hold every connection (a pool of one cannot help it).
    auditVerifyMaxWalks: int('AUDIT_VERIFY_MAX_WALKS', Math.max(1, Math.min(2, dbPoolSize - 1)), 1, 100),
    auditVerifyChunkRows: int('AUDIT_VERIFY_CHUNK_ROWS', 50_000, 10, 1_000_000),
    emergencyBulkMax: int('EMERGENCY_BULK_MAX', 100, 1, 10_000),
    banSweepSeconds: int('BAN_SWEEP_SECONDS', 30, 1, 3600),
  };

  // The server's own limit must come first: the read timeout then means a silent server, not a slow statement.
  // (Only both set can break it: an unset DB_STATEMENT_TIMEOUT_MS follows DB_QUERY_TIMEOUT_MS down.)
  if (config.dbQueryTimeoutMs > 0 && config.dbStatementTimeoutMs >= config.dbQueryTimeoutMs) {
    problems.push('DB_QUERY_TIMEOUT_MS must be above DB_STATEMENT_TIMEOUT_MS (or 0)');
  }
  if (config.auditVerifyWalksPerUser > config.auditVerifyMaxWalks) {
    problems.push('AUDIT_VERIFY_WALKS_PER_USER must not exceed AUDIT_VERIFY_MAX_WALKS');
  }
  // Each walk holds one pooled connection while a statement runs: the game keeps at least one.
  if (
    config.databaseUrl !== undefined &&
    str('AUDIT_VERIFY_MAX_WALKS') !== undefined &&
    config.auditVerifyMaxWalks >= dbPoolSize
  ) {
    problems.push('AUDIT_VERIFY_MAX_WALKS must be below DB_POOL_SIZE');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** An entry of TRUST_PROXY's list: an address, a CIDR block, or one of proxy-addr's named ranges. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}
