// How long writes stopped around a fault, as a client saw it: the longest gap between two
// consecutive commit times where the later one falls after the fault (so an answer that was
// already on its way when the fault struck does not hide the stall behind it).
export function longestCommitGap(commitTimes: readonly number[], faultAt: number, windowMs = 60_000): number {
  const sorted = [...commitTimes].sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] <= faultAt || sorted[i - 1] > faultAt + windowMs) continue;
    longest = Math.max(longest, sorted[i] - Math.max(sorted[i - 1], faultAt - windowMs));
  }
  return longest;
}
