import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The foundation schema: identities, the galaxy, players, the trade ledger, the admin tables the players
 * domain reads, the append-only hash-chained audit log and the analytics materialized view.
 * Written by hand so that it runs identically on Postgres 15+ and PGlite.
 */
export class InitialSchema1763780000000 implements MigrationInterface {
  name = 'InitialSchema1763780000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);

    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL DEFAULT 'player'
          CHECK (role IN ('player', 'auditor', 'moderator', 'admin', 'superadmin')),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_username_lower_uq ON users (lower(username))`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)`);

    await q.query(`
      CREATE TABLE teams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        tag text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE sectors (
        id integer PRIMARY KEY CHECK (id > 0),
        name text NOT NULL,
        region text NOT NULL DEFAULT 'frontier',
        warps integer[] NOT NULL DEFAULT '{}'
      )`);
    // Sector 1 always exists: it is every new player's home until the galaxy says otherwise.
    await q.query(`INSERT INTO sectors (id, name, region) VALUES (1, 'Sol', 'core')`);

    await q.query(`
      CREATE TABLE stations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sector_id integer NOT NULL REFERENCES sectors(id),
        name text NOT NULL,
        class smallint NOT NULL CHECK (class BETWEEN 1 AND 11),
        treasury bigint NOT NULL DEFAULT 0 CHECK (treasury >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX stations_sector_idx ON stations (sector_id)`);

    await q.query(`
      CREATE TABLE station_markets (
        station_id uuid NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
        commodity text NOT NULL,
        stock integer NOT NULL CHECK (stock >= 0),
        capacity integer NOT NULL CHECK (capacity > 0),
        buys boolean NOT NULL,
        sells boolean NOT NULL,
        production_rate real NOT NULL DEFAULT 0,
        buy_price integer NOT NULL CHECK (buy_price >= 0),
        sell_price integer NOT NULL CHECK (sell_price >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (station_id, commodity),
        CHECK (stock <= capacity)
      )`);
    await q.query(`CREATE INDEX station_markets_commodity_idx ON station_markets (commodity)`);

    await q.query(`
      CREATE TABLE players (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid UNIQUE REFERENCES users(id) ON DELETE SET NULL,
        username text NOT NULL,
        email text NOT NULL,
        credits bigint NOT NULL DEFAULT 10000 CHECK (credits >= 0),
        turns integer NOT NULL DEFAULT 1000 CHECK (turns >= 0),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'banned', 'suspended')),
        ban_until timestamptz,
        ban_reason text,
        team_id uuid REFERENCES teams(id) ON DELETE SET NULL,
        current_sector integer NOT NULL REFERENCES sectors(id),
        home_sector integer NOT NULL REFERENCES sectors(id),
        active_ship_id uuid,
        activity_score integer NOT NULL DEFAULT 0 CHECK (activity_score BETWEEN 0 AND 100),
        risk_score integer NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
        aria_trust_level real NOT NULL DEFAULT 0.5 CHECK (aria_trust_level BETWEEN 0 AND 1),
        last_login timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      )`);
    // Every /players/enhanced filter and sort has an index; the seeder drops and rebuilds these around a bulk load.
    await q.query(`CREATE UNIQUE INDEX players_username_lower_uq ON players (lower(username))`);
    await q.query(`CREATE UNIQUE INDEX players_email_lower_uq ON players (lower(email))`);
    await q.query(
      `CREATE INDEX players_username_trgm_idx ON players USING gin (lower(username) gin_trgm_ops)`,
    );
    await q.query(`CREATE INDEX players_email_trgm_idx ON players USING gin (lower(email) gin_trgm_ops)`);
    await q.query(`CREATE INDEX players_credits_idx ON players (credits, id)`);
    // Never-logged-in players sort as the oldest login; the expression keeps keyset paging free of NULLs.
    await q.query(
      `CREATE INDEX players_last_login_idx ON players ((coalesce(last_login, '-infinity'::timestamptz)), id)`,
    );
    await q.query(`CREATE INDEX players_created_at_idx ON players (created_at, id)`);
    await q.query(`CREATE INDEX players_risk_idx ON players (risk_score, id)`);
    await q.query(`CREATE INDEX players_activity_idx ON players (activity_score, id)`);
    await q.query(`CREATE INDEX players_status_idx ON players (status, credits)`);
    await q.query(`CREATE INDEX players_team_idx ON players (team_id)`);
    await q.query(`CREATE INDEX players_sector_idx ON players (current_sector)`);
    await q.query(`CREATE INDEX players_username_sort_idx ON players (username, id)`);

    await q.query(`
      CREATE TABLE ships (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        player_id uuid REFERENCES players(id) ON DELETE SET NULL,
        name text NOT NULL,
        type text NOT NULL
          CHECK (type IN ('escape_pod', 'scout', 'courier', 'light_freighter', 'cargo_hauler')),
        sector_id integer NOT NULL REFERENCES sectors(id),
        capacity integer NOT NULL CHECK (capacity > 0),
        cargo jsonb NOT NULL DEFAULT '{}'::jsonb,
        cargo_used integer NOT NULL DEFAULT 0 CHECK (cargo_used >= 0),
        hull integer NOT NULL DEFAULT 100 CHECK (hull BETWEEN 0 AND 100),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (cargo_used <= capacity)
      )`);
    await q.query(`CREATE INDEX ships_player_idx ON ships (player_id)`);
    await q.query(`
      ALTER TABLE players ADD CONSTRAINT players_active_ship_fk
        FOREIGN KEY (active_ship_id) REFERENCES ships(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED`);

    await q.query(`
      CREATE TABLE planets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sector_id integer NOT NULL REFERENCES sectors(id),
        owner_id uuid REFERENCES players(id) ON DELETE SET NULL,
        name text NOT NULL,
        type text NOT NULL,
        population bigint NOT NULL DEFAULT 0 CHECK (population >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX planets_owner_idx ON planets (owner_id)`);

    await q.query(`
      CREATE TABLE market_transactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        player_id uuid NOT NULL REFERENCES players(id),
        station_id uuid NOT NULL REFERENCES stations(id),
        ship_id uuid REFERENCES ships(id) ON DELETE SET NULL,
        commodity text NOT NULL,
        action text NOT NULL CHECK (action IN ('buy', 'sell')),
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price integer NOT NULL CHECK (unit_price >= 0),
        total bigint NOT NULL CHECK (total >= 0),
        credits_after bigint NOT NULL CHECK (credits_after >= 0),
        idempotency_key text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX market_tx_player_idx ON market_transactions (player_id, created_at DESC)`);
    await q.query(
      `CREATE INDEX market_tx_station_idx ON market_transactions (station_id, commodity, created_at DESC)`,
    );

    await q.query(`
      CREATE TABLE admin_emergency_actions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        player_id uuid NOT NULL REFERENCES players(id),
        action_type text NOT NULL,
        action_details jsonb NOT NULL DEFAULT '{}'::jsonb,
        admin_id uuid REFERENCES users(id),
        reason text NOT NULL,
        result_status text NOT NULL,
        result_details jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX emergency_player_idx ON admin_emergency_actions (player_id, created_at DESC)`,
    );

    await q.query(`
      CREATE TABLE admin_interventions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        player_id uuid REFERENCES players(id),
        priority text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
        category text NOT NULL,
        cause text,
        description text NOT NULL,
        status text NOT NULL DEFAULT 'open'
          CHECK (status IN ('open', 'assigned', 'in_progress', 'resolved', 'dismissed')),
        assigned_to uuid REFERENCES users(id),
        created_by uuid REFERENCES users(id),
        resolution_notes text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        version integer NOT NULL DEFAULT 1
      )`);
    await q.query(
      `CREATE INDEX interventions_player_idx ON admin_interventions (player_id) WHERE status NOT IN ('resolved', 'dismissed')`,
    );

    // --- audit_log: append-only, each row chained to the previous one by a SHA-256 hash. ---
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        actor_id uuid,
        actor_role text,
        action text NOT NULL,
        outcome text NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'denied')),
        target_type text,
        target_id text,
        reason text,
        before jsonb,
        after jsonb,
        request_id text,
        client_ip text,
        prev_hash text NOT NULL,
        hash text NOT NULL
      )`);
    await q.query(`CREATE INDEX audit_actor_idx ON audit_log (actor_id, id)`);
    await q.query(`CREATE INDEX audit_action_idx ON audit_log (action, id)`);
    await q.query(`CREATE INDEX audit_target_idx ON audit_log (target_id, id)`);
    await q.query(`CREATE INDEX audit_time_idx ON audit_log (occurred_at)`);

    // The hash covers every column but itself, in a fixed text form (UTC timestamps, jsonb's canonical text).
    await q.query(`
      CREATE FUNCTION audit_row_hash(r audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT encode(sha256(convert_to(concat_ws(E'\\x1f',
          r.prev_hash, r.id::text,
          to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
          coalesce(r.actor_id::text, ''), coalesce(r.actor_role, ''), r.action, r.outcome,
          coalesce(r.target_type, ''), coalesce(r.target_id, ''), coalesce(r.reason, ''),
          coalesce(r.before::text, ''), coalesce(r.after::text, ''),
          coalesce(r.request_id, ''), coalesce(r.client_ip, '')), 'UTF8')), 'hex')
      $$`);
    // Chaining happens in the database so no writer can skip it. The transaction-level advisory lock
    // serializes appenders until commit, and the id is drawn under that lock, so id order is chain order.
    await q.query(`
      CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(21020002);
        NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
        NEW.occurred_at := clock_timestamp();
        SELECT hash INTO NEW.prev_hash FROM audit_log ORDER BY id DESC LIMIT 1;
        NEW.prev_hash := coalesce(NEW.prev_hash, repeat('0', 64));
        NEW.hash := audit_row_hash(NEW);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_chain_trg BEFORE INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_chain()`);
    await q.query(`
      CREATE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only (% rejected)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change()`);
    await q.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change()`);

    await q.query(`
      CREATE MATERIALIZED VIEW player_analytics_summary AS
      SELECT 1 AS singleton,
             count(*)::bigint AS total_players,
             count(*) FILTER (WHERE status = 'active')::bigint AS active_players,
             coalesce(sum(credits), 0)::numeric AS total_credits,
             count(*) FILTER (WHERE last_login > now() - interval '1 day')::bigint AS players_today,
             count(*) FILTER (WHERE created_at > now() - interval '7 days')::bigint AS new_players_week,
             now() AS refreshed_at
      FROM players`);
    await q.query(`CREATE UNIQUE INDEX player_analytics_summary_uq ON player_analytics_summary (singleton)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP MATERIALIZED VIEW IF EXISTS player_analytics_summary`);
    await q.query(`DROP TABLE IF EXISTS audit_log CASCADE`);
    await q.query(`DROP FUNCTION IF EXISTS audit_log_chain()`);
    await q.query(`DROP FUNCTION IF EXISTS audit_log_reject_change()`);
    await q.query(`DROP FUNCTION IF EXISTS audit_row_hash(audit_log)`);
    for (const t of [
      'admin_interventions',
      'admin_emergency_actions',
      'market_transactions',
      'planets',
      'ships',
      'players',
      'station_markets',
      'stations',
      'sectors',
      'teams',
      'refresh_tokens',
      'users',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
  }
}
