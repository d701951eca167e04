// The part of @nxtedition/rocksdb (an abstract-level 1.x store, shipped without typings) that
// lobcore uses. Keys and values are Buffers throughout (keyEncoding/valueEncoding 'buffer').
declare module '@nxtedition/rocksdb' {
  export interface RangeOptions {
    gt?: Uint8Array;
    gte?: Uint8Array;
    lt?: Uint8Array;
    lte?: Uint8Array;
    reverse?: boolean;
    limit?: number;
    keys?: boolean;
    values?: boolean;
  }

  export interface RocksIterator {
    nextv(size: number): Promise<Array<[Buffer, Buffer]>>;
    all(): Promise<Array<[Buffer, Buffer]>>;
    close(): Promise<void>;
  }

  export interface RocksChainedBatch {
    put(key: Uint8Array, value: Uint8Array): this;
    del(key: Uint8Array): this;
    _put(key: Uint8Array, value: Uint8Array, options: object): void;
    _del(key: Uint8Array, options: object): void;
    write(options?: { sync?: boolean }): Promise<void>;
    close(): Promise<void>;
    readonly length: number;
  }

  export class RocksLevel {
    constructor(location: string, options?: { keyEncoding?: string; valueEncoding?: string });
    readonly status: 'opening' | 'open' | 'closing' | 'closed';
    readonly location: string;
    // The binding's README also lists `readOnly`, but its db_open never reads it (12.2.12).
    open(options?: { createIfMissing?: boolean; errorIfExists?: boolean; walCompression?: boolean; infoLogLevel?: string | null }): Promise<void>;
    close(): Promise<void>;
    get(key: Uint8Array): Promise<Buffer>;
    getMany(keys: Uint8Array[]): Promise<Array<Buffer | undefined>>;
    /** The binding's synchronous multi-get (used by the store worker): throws a read error where it happens. */
    _getManySync(keys: Uint8Array[], options: object): Array<Buffer | undefined>;
    batch(): RocksChainedBatch;
    iterator(options?: RangeOptions): RocksIterator;
    keys(options?: RangeOptions): { all(): Promise<Buffer[]>; close(): Promise<void> };
    /** Without a limit, one RocksDB range deletion. */
    clear(options?: RangeOptions): Promise<void>;
  }
}
