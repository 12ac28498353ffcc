import { Global, Module } from '@nestjs/common';
import { UnavailableResponses } from './unavailable-responses.js';

/** How the node tells the errors it answers (the HTTP and the Socket.IO filters share it). */
@Global()
@Module({ providers: [UnavailableResponses], exports: [UnavailableResponses] })
export class ErrorsModule {}
