import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, ConfigError, type AppConfig } from '../../config/app-config.js';
import { hashPassword, verifyPassword } from './domain/password.js';
import { revokeRefreshTokens } from './token.service.js';

export const DEMO_ADMIN_USERNAME = 'admin';

/**
 * SEED_ADMIN_USERNAME/SEED_ADMIN_PASSWORD create or update a superadmin at start. In the embedded demo
 * without them, a superadmin gets a generated password printed once (no password lives in the code).
 */
@Injectable()
export class SeedAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SeedAdminService.name);
  /** Set when this boot generated the demo password, so main.ts can print it with the login hint. */
  generatedCredentials: { username: string; password: string } | null = null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { seedAdminUsername, seedAdminPassword } = this.config;
    if (seedAdminUsername && seedAdminPassword) {
      await this.upsert(seedAdminUsername, seedAdminPassword, true);
      this.logger.log(`Superadmin "${seedAdminUsername}" ensured from SEED_ADMIN_USERNAME`);
      return;
    }
    if (!this.config.seedDemo) return;
    const password = randomBytes(12).toString('base64url');
    if (await this.upsert(DEMO_ADMIN_USERNAME, password, false)) {
      this.generatedCredentials = { username: DEMO_ADMIN_USERNAME, password };
    }
  }

  /**
   * Returns true when it wrote. Without `overwrite`, an existing user keeps its password. With it, only a
   * superadmin without a player is updated: a name that belongs to a player or to another role stops the
   * boot (a player who registered the name before the operator set it would otherwise be promoted, and its
   * refresh tokens would mint superadmin tokens). A changed password revokes the account's refresh tokens.
   */
  private async upsert(username: string, password: string, overwrite: boolean): Promise<boolean> {
    const hash = await hashPassword(password);
    if (!overwrite) {
      const rows = await this.dataSource.query(
        `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'superadmin')
         ON CONFLICT ((lower(username))) DO NOTHING RETURNING id`,
        [username, hash],
      );
      return rows.length > 0;
    }
    return this.dataSource.transaction(async (m) => {
      const [existing] = (await m.query(
        `SELECT u.id, u.role, u.active, u.password_hash,
                EXISTS (SELECT 1 FROM players p WHERE p.user_id = u.id) AS is_player
         FROM users u WHERE lower(u.username) = lower($1) FOR UPDATE`,
        [username],
      )) as Array<{ id: string; role: string; active: boolean; password_hash: string; is_player: boolean }>;
      if (!existing) {
        const rows = await m.query(
          `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'superadmin')
           ON CONFLICT ((lower(username))) DO NOTHING RETURNING id`,
          [username, hash],
        );
        if (rows.length === 0)
          throw new ConfigError([`SEED_ADMIN_USERNAME "${username}" was taken meanwhile`]);
        return true;
      }
      if (existing.role !== 'superadmin' || existing.is_player) {
        throw new ConfigError([
          `SEED_ADMIN_USERNAME "${username}" names an existing ${existing.is_player ? 'player' : existing.role} ` +
            'account; the seed only creates or updates a superadmin: choose another name',
        ]);
      }
      if (existing.active && (await verifyPassword(existing.password_hash, password))) return false;
      await m.query(`UPDATE users SET password_hash = $2, active = true, updated_at = now() WHERE id = $1`, [
        existing.id,
        hash,
      ]);
      await revokeRefreshTokens(m, existing.id);
      return true;
    });
  }
}
