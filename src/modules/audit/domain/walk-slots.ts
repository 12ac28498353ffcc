export type WalkSlot = { taken: true; release: () => void } | { taken: false; refusal: 'user' | 'node' };

/**
 * Chain walks running on this node: at most `perUser` for one user and `total` for everyone. In memory on
 * purpose: a slot is a walk this process runs, and it is freed when the walk ends, however it ends (a crash
 * frees every slot with the process). Across nodes the per-user rate limit bounds a user's walks.
 */
export class WalkSlots {
  private readonly byUser = new Map<string, number>();
  private count = 0;

  constructor(private readonly limits: { perUser: number; total: number }) {}

  get running(): number {
    return this.count;
  }

  take(userId: string): WalkSlot {
    const mine = this.byUser.get(userId) ?? 0;
    if (mine >= this.limits.perUser) return { taken: false, refusal: 'user' };
    if (this.count >= this.limits.total) return { taken: false, refusal: 'node' };
    this.byUser.set(userId, mine + 1);
    this.count++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.count--;
      const left = this.byUser.get(userId)! - 1;
      if (left === 0) this.byUser.delete(userId);
      else this.byUser.set(userId, left);
    };
    return { taken: true, release };
  }
}
