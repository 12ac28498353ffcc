import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { hashPassword } from './domain/password.js';

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

  /** Returns true when it wrote. Without `overwrite`, an existing user keeps its password. */
  private async upsert(username: string, password: string, overwrite: boolean): Promise<boolean> {
    const hash = await hashPassword(password);
    const rows = await this.dataSource.query(
      `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'superadmin')
       ON CONFLICT ((lower(username))) DO ${
         overwrite
           ? `UPDATE SET password_hash = EXCLUDED.password_hash, role = 'superadmin', active = true, updated_at = now()`
           : 'NOTHING'
       }
       RETURNING id`,
      [username, hash],
    );
    return rows.length > 0;
  }
}
