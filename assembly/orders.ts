// The resting-order record: 40 bytes, in a pool (pool.ts), linked into its level's FIFO queue.
//
//   0  id         f64   engine-assigned, < 2^53
//   8  remaining  f64   open size in lots
//  16  timestamp  f64   of the command that placed (or last re-entered) it
//  24  next       u32   younger order at the same level, 0 at the tail
//  28  prev       u32   older order at the same level, 0 at the head
//  32  level      u32   its level record (levels.ts)
//  36  owner      u32   interned trader index << 2 | stp   (traders.ts, codes.ts)
//
// Prices live on the level, assets on the book: an order reaches both through `level`.
import { poolForEach, poolReset, poolReserve, poolTake, poolGive, POOL_DESCRIPTOR_BYTES } from './pool';

export const ORDER_BYTES: u32 = 40;
const orderPool: usize = memory.data(POOL_DESCRIPTOR_BYTES, 8);

export function resetOrders(): void {
  poolReset(orderPool, ORDER_BYTES);
}
@inline export function reserveOrder(): bool {
  return poolReserve(orderPool);
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
@inline export function setOrderOwner(o: usize, traderIndex: u32, stp: u32): void {
  store<u32>(o, (traderIndex << 2) | stp, 36);
}
@inline export function orderTraderIndex(o: usize): u32 { return load<u32>(o, 36) >> 2; }
@inline export function orderStp(o: usize): u32 { return load<u32>(o, 36) & 3; }
