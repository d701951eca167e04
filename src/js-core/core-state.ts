// The whole state of one JS core. AssemblyScript keeps the same parts as module globals of its
// files (one core per WebAssembly instance); a JS process may run many cores, so here they are
// one object that every function of the core takes first.
import { Books } from './books.js';
import { Events } from './events.js';
import { Levels } from './levels.js';
import { OrderIndex } from './order-index.js';
import { Orders } from './orders.js';
import { Pending } from './pending.js';

export class CoreState {
  readonly orders: Orders;
  readonly levels: Levels;
  readonly index: OrderIndex;
  readonly books = new Books();
  readonly pending = new Pending();
  /** The id the next accepted order gets. */
  nextOrderId = 1;

  /**
   * `events`: where book changes are written; it outlives a state that a restore replaces.
   * `emptying`: a state whose orders, levels and index this one takes over, emptied, instead of
   * allocating its own (a restore that fits in them).
   */
  constructor(readonly events: Events = new Events(), orderCapacity = 1024, levelCapacity = 256, ladderNodes?: number,
              emptying?: CoreState) {
    this.orders = emptying?.orders.clear() ?? new Orders(orderCapacity);
    this.levels = emptying?.levels.clear() ?? new Levels(levelCapacity, ladderNodes);
    this.index = emptying?.index.clear() ?? new OrderIndex(orderCapacity);
  }

  bytes(): number {
    return this.orders.bytes() + this.levels.bytes() + this.index.bytes() + this.books.bytes() + this.pending.bytes();
  }
}
