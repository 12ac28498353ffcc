import { Module } from '@nestjs/common';
import { AriaGateway } from './aria.gateway.js';

/** ARIA, the players' AI trading assistant: for now its /aria Socket.IO namespace. */
@Module({ providers: [AriaGateway] })
export class AriaModule {}
