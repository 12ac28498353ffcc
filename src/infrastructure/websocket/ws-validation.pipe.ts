import { Injectable } from '@nestjs/common';
import { AppValidationPipe } from '../http/validation.js';

/**
 * The HTTP validation rules (whitelist, unknown fields refused, every bad field named, a non-object body
 * refused) bound on each gateway, so socket validation does not depend on the app's global pipes.
 */
@Injectable()
export class WsValidationPipe extends AppValidationPipe {}
