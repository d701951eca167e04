// Parsers for LOBSTER's CSV files (lobsterdata.com; format in data/lobster/README.md) into
// columnar typed arrays, so a replay of a day of messages reads numbers, not objects.
//
// A scanner walks the text once. Integer fields are accumulated digit by digit (exact below 2^53,
// and strict: no hex, exponents, blanks or '+' that Number() would quietly accept); only the
// time column, which has decimals, goes through Number() after its characters are checked.
import { LobError } from '../errors.js';

/** LOBSTER event types (the `type` column). */
export const MessageType = {
  NEW_LIMIT: 1,
  PARTIAL_CANCEL: 2,
  DELETE: 3,
  EXECUTE_VISIBLE: 4,
  EXECUTE_HIDDEN: 5,
  CROSS: 6,
  HALT: 7,
} as const;

/** The price LOBSTER pads empty book levels with: +this for asks, -this for bids. */
export const EMPTY_LEVEL_PRICE = 9_999_999_999;

/** A message file, one entry per row, column by column. */
export interface MessageColumns {
  readonly count: number;
  /** Seconds after midnight. */
  readonly time: Float64Array;
  readonly type: Uint8Array;
  /** Non-negative, but for a cross trade (type 6): -1 opening, -2 closing, -3 or -4 another cross. */
  readonly orderId: Float64Array;
  /** Shares affected by the event (not what remains). */
  readonly size: Float64Array;
  /** Dollars x 10000; for a halt (type 7): -1 halt, 0 quoting, 1 resume. */
  readonly price: Float64Array;
  /** 1 buy, -1 sell; for executions the side of the resting order. */
  readonly direction: Int8Array;
}

/** An order-book file: `rows` rows of 4 * levels columns (askPrice, askSize, bidPrice, bidSize per level). */
export interface OrderbookRows {
  readonly rows: number;
  readonly levels: number;
  /** Row-major, 4 * levels values per row. */
  readonly values: Float64Array;
  /** Row `i` as a view (no copy). */
  row(i: number): Float64Array;
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

function malformed(row: number, reason: string): LobError {
  return new LobError('INVALID_ARGUMENT', `LOBSTER row ${row}: ${reason}`);
}

/** Longest field shown in an error; a binary file's "field" can be its whole first line. */
const SHOWN_FIELD_CHARS = 24;

/**
 * A field's text for an error message, quoted. Files are read as latin1, one char per byte:
 * anything but printable ASCII is shown as a \xNN escape, so binary garbage never reaches a
 * terminal raw, and a long field is cut short with its length given.
 */
function quoteField(field: string): string {
  const shown = field.slice(0, SHOWN_FIELD_CHARS).replace(/[^\x20-\x7e]|["\\]/g, (c) => {
    const code = c.charCodeAt(0);
    return code >= 0x20 && code <= 0x7e ? `\\${c}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
  return field.length > SHOWN_FIELD_CHARS ? `"${shown}..." (${field.length} bytes)` : `"${shown}"`;
}

/**
 * Cursor over the text. `row` is 1-based for messages; fields are read left to right and each
 * reader leaves the cursor after the field's terminating comma (or at the end of the line).
 */
class Scanner {
  pos = 0;
  lineEnd = 0;
  row = 0;
  /** Whether the current line has another field at `pos` (the last one read ended with a comma). */
  private more = false;
  constructor(private readonly text: string) {}

  /** Moves to the next line; false at the end. A blank line between rows is an error. */
  nextLine(): boolean {
    const text = this.text;
    if (this.pos >= text.length) return false;
    let end = text.indexOf('\n', this.pos);
    if (end < 0) end = text.length;
    let contentEnd = end;
    if (contentEnd > this.pos && text.charCodeAt(contentEnd - 1) === CR) contentEnd--;
    this.row++;
    if (contentEnd === this.pos) {
      // Only the file's final line ending may leave an empty line behind.
      if (end + 1 >= text.length) {
        this.pos = text.length;
        return false;
      }
      throw malformed(this.row, 'empty line');
    }
    this.lineEnd = contentEnd;
    this.more = true;
    return true;
  }

  /** Checks that the line held exactly the fields read, and moves past its line ending. */
  finishLine(expectedFields: number): void {
    if (this.more) throw malformed(this.row, `more than ${expectedFields} fields`);
    const text = this.text;
    if (this.pos < text.length && text.charCodeAt(this.pos) === CR) this.pos++;
    if (this.pos < text.length && text.charCodeAt(this.pos) === LF) this.pos++;
  }

  private fieldEnd(name: string): number {
    if (!this.more) throw malformed(this.row, `missing field ${name}`);
    const text = this.text;
    let end = this.pos;
    while (end < this.lineEnd && text.charCodeAt(end) !== COMMA) end++;
    if (end === this.pos) throw malformed(this.row, `empty field ${name}`);
    return end;
  }

  private advance(end: number): void {
    this.more = end < this.lineEnd;
    this.pos = this.more ? end + 1 : end;
  }

  /** A signed integer field; exact for |value| < 2^53. */
  integer(name: string): number {
    const end = this.fieldEnd(name);
    const text = this.text;
    let i = this.pos;
    let negative = false;
    if (text.charCodeAt(i) === MINUS) {
      negative = true;
      i++;
    }
    if (i === end) throw this.badField(name, end);
    let value = 0;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < ZERO || c > NINE) throw this.badField(name, end);
      value = value * 10 + (c - ZERO);
    }
    if (!Number.isSafeInteger(value)) throw malformed(this.row, `${name} ${quoteField(text.slice(this.pos, end))} is beyond 2^53-1`);
    this.advance(end);
    return negative ? -value : value;
  }

  /** A non-negative decimal field such as 34200.004241176. */
  decimal(name: string): number {
    const end = this.fieldEnd(name);
    const text = this.text;
    let digits = 0;
    let dots = 0;
    for (let i = this.pos; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === DOT) dots++;
      else if (c >= ZERO && c <= NINE) digits++;
      else throw this.badField(name, end);
    }
    if (digits === 0 || dots > 1) throw this.badField(name, end);
    const value = Number(text.slice(this.pos, end));
    this.advance(end);
    return value;
  }

  private badField(name: string, end: number): LobError {
    return malformed(this.row, `${name} ${quoteField(this.text.slice(this.pos, end))} is not a number`);
  }
}

const MESSAGE_FIELDS = 6;

/** A message's time (seconds after midnight, to the nanosecond) as the engine's integer timestamp. */
export function messageTimestamp(seconds: number): number {
  return Math.round(seconds * 1e9);
}

/**
 * Parses a LOBSTER message file (`time,type,orderId,size,price,direction`, no header).
 * Throws LobError INVALID_ARGUMENT naming the 1-based row and the reason on the first bad row.
 */
export function parseMessages(text: string): MessageColumns {
  const capacity = countLines(text);
  const time = new Float64Array(capacity);
  const type = new Uint8Array(capacity);
  const orderId = new Float64Array(capacity);
  const size = new Float64Array(capacity);
  const price = new Float64Array(capacity);
  const direction = new Int8Array(capacity);
  const scan = new Scanner(text);
  let n = 0;
  while (scan.nextLine()) {
    const row = scan.row;
    const t = scan.decimal('time');
    // Refused here, before anything is replayed: the engine takes the time in nanoseconds.
    if (!Number.isSafeInteger(messageTimestamp(t))) throw malformed(row, `time ${t} is beyond 2^53-1 nanoseconds (about 104 days)`);
    // LOBSTER's time column never decreases: a time that goes back is a damaged file, or two
    // joined, whose replay would interleave two flows in a wrong order. Equal times are real.
    if (n > 0 && t < time[n - 1]) {
      throw malformed(row, `time ${t} is before row ${row - 1}'s ${time[n - 1]}: a message file's time never goes back (a damaged file, or two joined)`);
    }
    const kind = scan.integer('type');
    const id = scan.integer('orderId');
    const shares = scan.integer('size');
    const px = scan.integer('price');
    const dir = scan.integer('direction');
    scan.finishLine(MESSAGE_FIELDS);
    if (kind < MessageType.NEW_LIMIT || kind > MessageType.HALT) throw malformed(row, `type ${kind} is not an event type 1..7`);
    // A cross trade is no order: LOBSTER gives it a negative pseudo id (-1 opening, -2 closing, -3/-4 others).
    if (id < 0 && kind !== MessageType.CROSS) throw malformed(row, `orderId ${id} is negative`);
    if (dir !== 1 && dir !== -1) throw malformed(row, `direction ${dir} is neither 1 (buy) nor -1 (sell)`);
    if (kind === MessageType.HALT) {
      if (px < -1 || px > 1) throw malformed(row, `halt price ${px} is not -1, 0 or 1`);
    } else {
      if (px <= 0) throw malformed(row, `price ${px} is not positive`);
      if (shares <= 0) throw malformed(row, `size ${shares} is not positive`);
    }
    if (shares < 0) throw malformed(row, `size ${shares} is negative`);
    time[n] = t;
    type[n] = kind;
    orderId[n] = id;
    size[n] = shares;
    price[n] = px;
    direction[n] = dir;
    n++;
  }
  return {
    count: n,
    time: time.subarray(0, n),
    type: type.subarray(0, n),
    orderId: orderId.subarray(0, n),
    size: size.subarray(0, n),
    price: price.subarray(0, n),
    direction: direction.subarray(0, n),
  };
}

/**
 * Parses a LOBSTER order-book file. `levels` defaults to what the first row holds; every row
 * must have exactly 4 * levels columns. Sizes must be non-negative, and a price must be positive
 * or LOBSTER's empty-level padding; a level has shares exactly when its price is not the padding.
 */
export function parseOrderbook(text: string, levels?: number): OrderbookRows {
  const scan = new Scanner(text);
  const capacity = countLines(text);
  let columns = levels === undefined ? 0 : levels * 4;
  if (levels !== undefined && !(Number.isSafeInteger(levels) && levels > 0)) {
    throw new LobError('INVALID_ARGUMENT', `levels must be a positive safe integer, got ${String(levels)}`);
  }
  let values = new Float64Array(0);
  let rows = 0;
  while (scan.nextLine()) {
    if (columns === 0) {
      columns = countFields(text, scan.pos, scan.lineEnd);
      if (columns % 4 !== 0) throw malformed(scan.row, `${columns} columns is not 4 per level`);
    }
    if (values.length === 0) values = new Float64Array(capacity * columns);
    const base = rows * columns;
    for (let c = 0; c < columns; c++) {
      const level = (c >> 2) + 1;
      const isAsk = (c & 3) < 2;
      const isPrice = (c & 1) === 0;
      const name = `${isAsk ? 'ask' : 'bid'}${isPrice ? 'Price' : 'Size'}${level}`;
      const v = scan.integer(name);
      const padding = isAsk ? EMPTY_LEVEL_PRICE : -EMPTY_LEVEL_PRICE;
      if (isPrice) {
        if (v <= 0 && v !== padding) throw malformed(scan.row, `${name} ${v} is neither a positive price nor the empty-level padding`);
      } else if (v < 0) {
        throw malformed(scan.row, `${name} ${v} is negative`);
      } else {
        // LOBSTER writes an empty level as the padding price with size 0, and only so: the seed
        // and the book check read a level by its size, so a price and a size that disagree
        // would be a level to one and no level to the other.
        const price = values[base + c - 1];
        const priceName = `${isAsk ? 'ask' : 'bid'}Price${level}`;
        if (price === padding && v !== 0) throw malformed(scan.row, `${name} ${v} at the empty-level price ${padding}: an empty level has size 0`);
        if (price !== padding && v === 0) throw malformed(scan.row, `${name} 0 at ${priceName} ${price}: a price level has shares (an empty one has the price ${padding})`);
      }
      values[base + c] = v;
    }
    scan.finishLine(columns);
    rows++;
  }
  const perRow = columns;
  const used = values.subarray(0, rows * perRow);
  return {
    rows,
    levels: perRow / 4,
    values: used,
    row: (i: number) => {
      if (!(i >= 0 && i < rows)) throw new LobError('INVALID_ARGUMENT', `row must be in 0..${rows - 1}, got ${i}`);
      return used.subarray(i * perRow, (i + 1) * perRow);
    },
  };
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function countFields(text: string, from: number, to: number): number {
  let n = 1;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === COMMA) n++;
  return n;
}
