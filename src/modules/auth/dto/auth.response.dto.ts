import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '../domain/roles.js';

export class AuthUserDto {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ nullable: true, type: String }) player_id: string | null;
}

export class AuthTokensDto {
  @ApiProperty() access_token: string;
  @ApiProperty() refresh_token: string;
  @ApiProperty({ example: 'Bearer' }) token_type: 'Bearer';
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Access token lifetime in seconds' })
  expires_in: number;
  @ApiProperty({ type: AuthUserDto }) user: AuthUserDto;
}

export class LogoutResultDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Refresh tokens of this login revoked now (0 when it was revoked already)',
  })
  revoked: number;
}
