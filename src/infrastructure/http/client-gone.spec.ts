import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { clientGoneSignal } from './client-gone.js';

/** The parts of a ServerResponse the signal reads. */
const response = (state: { destroyed?: boolean; writableFinished?: boolean } = {}) =>
  Object.assign(new EventEmitter(), { destroyed: false, writableFinished: false, ...state });

describe('clientGoneSignal', () => {
  it('aborts when the connection closes before the answer was written', () => {
    const res = response();
    const signal = clientGoneSignal(res as unknown as ServerResponse);
    expect(signal.aborted).toBe(false);
    res.destroyed = true;
    res.emit('close');
    expect(signal.aborted).toBe(true);
  });

  it('does not abort on the close that follows an answer sent in full', () => {
    const res = response();
    const signal = clientGoneSignal(res as unknown as ServerResponse);
    res.writableFinished = true;
    res.emit('close');
    expect(signal.aborted).toBe(false);
  });

  it('is aborted at once when the response closed before it was asked for', () => {
    expect(clientGoneSignal(response({ destroyed: true }) as unknown as ServerResponse).aborted).toBe(true);
    expect(
      clientGoneSignal(response({ destroyed: true, writableFinished: true }) as unknown as ServerResponse)
        .aborted,
    ).toBe(false);
  });
});
