import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { PlayerStatus } from '../domain/player-status.js';

/** bigint columns come back from pg as strings; credits stay strings at the edges to keep full precision. */
@Entity('players')
export class PlayerEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id', nullable: true }) userId: string | null;
  @Column('text') username: string;
  @Column('text') email: string;
  @Column('bigint') credits: string;
  @Column('integer') turns: number;
  @Column('text') status: PlayerStatus;
  @Column('timestamptz', { name: 'ban_until', nullable: true }) banUntil: Date | null;
  @Column('text', { name: 'ban_reason', nullable: true }) banReason: string | null;
  /** While banned: the status the ban lifts back to (null: active). */
  @Column('text', { name: 'status_before_ban', nullable: true }) statusBeforeBan: PlayerStatus | null;
  @Column('uuid', { name: 'team_id', nullable: true }) teamId: string | null;
  @Column('integer', { name: 'current_sector' }) currentSector: number;
  @Column('integer', { name: 'home_sector' }) homeSector: number;
  @Column('uuid', { name: 'active_ship_id', nullable: true }) activeShipId: string | null;
  @Column('integer', { name: 'activity_score' }) activityScore: number;
  @Column('integer', { name: 'risk_score' }) riskScore: number;
  @Column('real', { name: 'aria_trust_level' }) ariaTrustLevel: number;
  @Column('timestamptz', { name: 'last_login', nullable: true }) lastLogin: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('integer') version: number;
}
