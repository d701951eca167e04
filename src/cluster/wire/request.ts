// A client's request to a shard leader: who asks (client id and request number, which together
// are the JetStream message id that makes a retry a duplicate) and the command bytes.
//
//   0  u8   format version (1)
//   1  u8   kind (3)
//   2  u16  0
//   4  u32  shard
//   8  f64  clientId
//  16  f64  requestSeq
//  24  ...  commands (CommandBatch.bytes())
import { invalidArgument } from '../../errors.js';
import { checkHeader, viewOf } from './bytes.js';

export const REQUEST_VERSION = 1;
const REQUEST_KIND = 3;
export const REQUEST_HEADER_BYTES = 24;

export interface DecodedRequest {
  shard: number;
  clientId: number;
  requestSeq: number;
  commands: Uint8Array;
}

export function encodeRequest(shard: number, clientId: number, requestSeq: number, commands: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(REQUEST_HEADER_BYTES + commands.byteLength);
  const view = viewOf(bytes);
  bytes[0] = REQUEST_VERSION;
  bytes[1] = REQUEST_KIND;
  view.setUint32(4, shard, true);
  view.setFloat64(8, clientId, true);
  view.setFloat64(16, requestSeq, true);
  bytes.set(commands, REQUEST_HEADER_BYTES);
  return bytes;
}

/** Throws INVALID_ARGUMENT naming request.clientId or request.requestSeq unless both are positive safe integers. */
export function decodeRequest(bytes: Uint8Array): DecodedRequest {
  const view = checkHeader(bytes, 'request', REQUEST_HEADER_BYTES, REQUEST_VERSION, REQUEST_KIND);
  return {
    shard: view.getUint32(4, true),
    clientId: requestId('request.clientId', view.getFloat64(8, true)),
    requestSeq: requestId('request.requestSeq', view.getFloat64(16, true)),
    commands: bytes.subarray(REQUEST_HEADER_BYTES),
  };
}

/**
 * The ids become the JetStream message id, which is only unique if each number has one spelling:
 * toString(36) writes fractions ("1.i" for 1.5), so two requests could share an id, and NaN,
 * Infinity or a number past 2^53 do not name one request at all.
 */
function requestId(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw invalidArgument(field, 'a positive safe integer', value);
  return value;
}

/**
 * The JetStream message id of a request: the same for every retry of it, distinct across clients.
 * Two base-36 integers and one '.', so it never contains the ':' of a derived id.
 */
export function requestMessageId(clientId: number, requestSeq: number): string {
  return `${requestId('request.clientId', clientId).toString(36)}.${requestId('request.requestSeq', requestSeq).toString(36)}`;
}
