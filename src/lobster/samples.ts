// The LOBSTER sample files that ship with lobcore (data/lobster/, gzipped): found relative to
// this module, so they resolve the same from a clone (src/, dist/src/) and from an installed
// package. Nothing here reads outside the package's own tree.
import { join } from 'node:path';
import { packageDirectory } from '../package-files.js';

/** The samples, by what they are; each name is a file in sampleDirectory(). */
export const LOBSTER_SAMPLES = {
  aaplHeadMessages: 'AAPL_2012-06-21_level50_head672_message.csv.gz',
  aaplHeadBook: 'AAPL_2012-06-21_level50_head672_orderbook.csv.gz',
  aaplHourMessages: 'AAPL_2012-06-21_34200000_37800000_message_50.csv.gz',
  amznDayMessages: 'AMZN_2012-06-21_34200000_57600000_message_1.csv.gz',
  amznDayBook: 'AMZN_2012-06-21_34200000_57600000_orderbook_1.csv.gz',
  msftHeadMessages: 'MSFT_2012-06-21_level50_head1950_message.csv.gz',
  msftHeadBook: 'MSFT_2012-06-21_level50_head1950_orderbook.csv.gz',
} as const;

export type LobsterSample = keyof typeof LOBSTER_SAMPLES;

let found: string | undefined;

/** data/lobster of the package this module belongs to. */
export function sampleDirectory(): string {
  found ??= packageDirectory(import.meta.url, join('data', 'lobster'), LOBSTER_SAMPLES.msftHeadMessages);
  return found;
}

/** The path of one sample file. */
export function samplePath(sample: LobsterSample): string {
  return join(sampleDirectory(), LOBSTER_SAMPLES[sample]);
}
