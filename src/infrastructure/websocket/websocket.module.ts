import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../../modules/auth/auth.module.js';
import { RealtimeHub } from './realtime-hub.service.js';
import { WsAuthenticator } from './ws-authenticator.service.js';
import { WsExceptionFilter } from './ws-exception.filter.js';
import { WsPermissionsGuard } from './ws-permissions.guard.js';
import { WsValidationPipe } from './ws-validation.pipe.js';

/** Socket.IO infrastructure every gateway binds (see RealtimeHub and docs/realtime.md). */
@Global()
@Module({
  imports: [AuthModule],
  providers: [RealtimeHub, WsAuthenticator, WsExceptionFilter, WsPermissionsGuard, WsValidationPipe],
  exports: [RealtimeHub, WsAuthenticator, WsExceptionFilter, WsPermissionsGuard, WsValidationPipe],
})
export class WebsocketModule {}
