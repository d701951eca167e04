// Objects held weakly, each visited while it lives: an owner that must act on all of them at a rare
// event (a restore, a recovery, a close) without keeping any alive in between. A caller that makes
// one for every call would leave a reference behind each time, so the references of collected
// objects are dropped whenever the set has doubled since the last sweep: amortized O(1) an add, and
// at most about twice what is alive.
export class WeakRefSet<T extends object> {
  private readonly refs = new Set<WeakRef<T>>();
  /** The size at which the next add first drops the references of collected objects. */
  private sweepAt = 64;

  get size(): number {
    return this.refs.size;
  }

  add(target: T): void {
    if (this.refs.size >= this.sweepAt) {
      for (const ref of this.refs) if (ref.deref() === undefined) this.refs.delete(ref);
      this.sweepAt = Math.max(64, 2 * this.refs.size);
    }
    this.refs.add(new WeakRef(target));
  }

  /** `visit` with each object still alive, the collected ones' references dropped on the way. */
  forEachAlive(visit: (target: T) => void): void {
    for (const ref of this.refs) {
      const target = ref.deref();
      if (target === undefined) this.refs.delete(ref);
      else visit(target);
    }
  }

  clear(): void {
    this.refs.clear();
  }
}
