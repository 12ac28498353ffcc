import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;

export class RegisterRequestDto {
  @ApiProperty({ example: 'nova_trader', pattern: USERNAME_PATTERN.source })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-32 characters of letters, digits, _ . -' })
  username: string;

  @ApiProperty({ example: 'nova@example.com' })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 10, maxLength: 128 })
  @IsString()
  @MinLength(10)
  @MaxLength(128)
  password: string;
}

export class LoginRequestDto {
  @ApiProperty({ example: 'nova_trader' })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  username: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password: string;
}

export class RefreshRequestDto {
  @ApiProperty({ description: 'The refresh_token from login or the previous refresh' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  refresh_token: string;
}
