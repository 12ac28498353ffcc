// autocannon ships no types; the bench uses a small part of its API.
declare module 'autocannon' {
  interface Instance extends PromiseLike<Result> {
    on(
      event: 'response',
      listener: (client: unknown, status: number, bytes: number, responseTime: number) => void,
    ): void;
  }
  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    requests: { total: number; average: number };
    latency: { mean: number; max: number; p50: number; p99: number };
  }
  function autocannon(options: Record<string, unknown>): Instance;
  export default autocannon;
}
