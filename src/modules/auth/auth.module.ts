import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { AuthController } from './auth.controller.js';
import { JwtStrategy, jwtSecretKey } from './guards/jwt.strategy.js';
import { TokenService } from './token.service.js';
import { RegisterHandler } from './commands/register.handler.js';
import { LoginHandler } from './commands/login.handler.js';
import { RefreshTokenHandler } from './commands/refresh-token.handler.js';
import { LogoutHandler } from './commands/logout.handler.js';
import { SeedAdminService } from './seed-admin.service.js';

@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: jwtSecretKey(config.jwtSecret),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    JwtStrategy,
    TokenService,
    RegisterHandler,
    LoginHandler,
    RefreshTokenHandler,
    LogoutHandler,
    SeedAdminService,
  ],
  exports: [TokenService, JwtModule],
})
export class AuthModule {}
