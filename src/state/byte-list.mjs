// The byte list that carries keys and values between the main thread and the store worker:
// count:u32, then per item length:u32 (0xffffffff: absent) and the bytes; little-endian. Plain
// JavaScript because the worker runs under Node without a TypeScript loader and imports it too.

export const ABSENT = 0xffffffff;

/**
 * Packs byte strings into one buffer, to be transferred rather than cloned item by item.
 * @param {ReadonlyArray<Uint8Array | undefined>} items
 * @returns {ArrayBuffer}
 */
export function packByteList(items) {
  let total = 4;
  for (const item of items) total += 4 + (item === undefined ? 0 : item.length);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, items.length, true);
  let o = 4;
  for (const item of items) {
    view.setUint32(o, item === undefined ? ABSENT : item.length, true);
    o += 4;
    if (item !== undefined) {
      bytes.set(item, o);
      o += item.length;
    }
  }
  return bytes.buffer;
}

/**
 * Unpacks a byte list into Buffer views of the one received buffer (no copies).
 * @param {ArrayBuffer} packed
 * @returns {Array<Buffer | undefined>}
 */
export function unpackByteList(packed) {
  const view = new DataView(packed);
  const count = view.getUint32(0, true);
  /** @type {Array<Buffer | undefined>} */
  const out = new Array(count);
  let o = 4;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(o, true);
    o += 4;
    if (length === ABSENT) {
      out[i] = undefined;
    } else {
      out[i] = Buffer.from(packed, o, length);
      o += length;
    }
  }
  return out;
}

/**
 * A reply of byte strings: [the packed list, its transfer list], so it goes back as one buffer,
 * never cloned item by item.
 * @param {ReadonlyArray<Uint8Array | undefined>} items
 * @returns {[ArrayBuffer, ArrayBuffer[]]}
 */
export function transferList(items) {
  const buffer = packByteList(items);
  return [buffer, [buffer]];
}
