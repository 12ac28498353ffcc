import { FastifyAdapter } from '@nestjs/platform-fastify';

/**
 * Fastify's adapter, knowing from the first step of a shutdown (Nest's prepareClose, before any hook) that the
 * node is going away: `draining`. Every answer from then on carries Connection: close (bootstrap's onSend hook).
 *
 * Why: at shutdown Socket.IO's close closes the HTTP server and waits for every connection to end, before
 * Fastify's own close runs. Node closes the idle keep-alive connections at that moment, but one whose request
 * is in flight (a trade waiting on its row lock) would be answered keep-alive and then held open by its client
 * until the keep-alive timeout (72 s): the shutdown hooks (presence, the leader lease, Redis) would wait that
 * long, past an orchestrator's grace period. Answered with Connection: close, it ends with its answer.
 */
export class DrainingFastifyAdapter extends FastifyAdapter {
  draining = false;

  override beforeClose(): void {
    this.draining = true;
    super.beforeClose();
  }
}
