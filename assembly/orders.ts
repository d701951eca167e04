// The resting-order record: 40 bytes, in a pool (pool.ts), linked into its level's FIFO queue.
//
//   0  id         f64   engine-assigned, < 2^53
//   8  remaining  f64   open size in lots
//  16  timestamp  f64   of the command that placed (or last re-entered) it
//  24  next       u32   younger order at the same level, 0 at the tail (pending: its stop part)
//  28  prev       u32   older order at the same level, 0 at the head
//  32  level      u32   its level record (levels.ts); 0 for a pending stop (pending.ts)
//  36  owner      u32   interned trader index << 3 | oco << 2 | stp   (traders.ts, codes.ts)
//
// Prices live on the level, assets on the book: an order reaches both through `level`. A
// pending stop is an order record off every level: its `next` holds its stop part (trigger,
// prices, book), so stops share the id index and every lookup by id.
// `oco` marks a leg of an OCO pair whose other leg is still there (the pair's ids are N, N + 1).
import { poolForEach, poolReset, poolReserve, poolReserveTwo, poolTake, poolGive, POOL_DESCRIPTOR_BYTES } from './pool';

export const ORDER_BYTES: u32 = 40;
const orderPool: usize = memory.data(POOL_DESCRIPTOR_BYTES, 8);

export function resetOrders(): void {
  poolReset(orderPool, ORDER_BYTES);
}
@inline export function reserveOrder(): bool {
  return poolReserve(orderPool);
}
/** Records for an OCO pair's two legs. */
@inline export function reserveTwoOrders(): bool {
  return poolReserveTwo(orderPool);
}
@inline export function takeOrder(): usize {
  return poolTake(orderPool);
}
@inline export function giveOrder(order: usize): void {
  poolGive(orderPool, order);
}
/** Every order record in use, in no particular order (the order index rebuilds from them). */
export function forEachOrder(visit: (order: usize) => void): void {
  poolForEach(orderPool, visit);
}

@inline export function orderId(o: usize): f64 { return load<f64>(o, 0); }
@inline export function setOrderId(o: usize, v: f64): void { store<f64>(o, v, 0); }
@inline export function orderRemaining(o: usize): f64 { return load<f64>(o, 8); }
@inline export function setOrderRemaining(o: usize, v: f64): void { store<f64>(o, v, 8); }
@inline export function orderTimestamp(o: usize): f64 { return load<f64>(o, 16); }
@inline export function setOrderTimestamp(o: usize, v: f64): void { store<f64>(o, v, 16); }
@inline export function orderNext(o: usize): usize { return <usize>load<u32>(o, 24); }
@inline export function setOrderNext(o: usize, v: usize): void { store<u32>(o, <u32>v, 24); }
@inline export function orderPrev(o: usize): usize { return <usize>load<u32>(o, 28); }
@inline export function setOrderPrev(o: usize, v: usize): void { store<u32>(o, <u32>v, 28); }
@inline export function orderLevel(o: usize): usize { return <usize>load<u32>(o, 32); }
@inline export function setOrderLevel(o: usize, v: usize): void { store<u32>(o, <u32>v, 32); }
@inline export function orderOwner(o: usize): u32 { return load<u32>(o, 36); }
/** `flags`: stp | OCO_LEG. */
@inline export function setOrderOwner(o: usize, traderIndex: u32, flags: u32): void {
  store<u32>(o, (traderIndex << 3) | flags, 36);
}
@inline export function orderTraderIndex(o: usize): u32 { return load<u32>(o, 36) >> 3; }
@inline export function orderStp(o: usize): u32 { return load<u32>(o, 36) & 3; }
/** The owner flag of a leg of an OCO pair. */
export const OCO_LEG: u32 = 4;
@inline export function orderIsOcoLeg(o: usize): bool { return (load<u32>(o, 36) & OCO_LEG) != 0; }
@inline export function clearOrderOcoLeg(o: usize): void { store<u32>(o, load<u32>(o, 36) & ~OCO_LEG, 36); }
/** stp | OCO_LEG, as a snapshot keeps them. */
@inline export function orderFlags(o: usize): u32 { return load<u32>(o, 36) & 7; }
@inline export function orderIsPending(o: usize): bool { return load<u32>(o, 32) == 0; }
