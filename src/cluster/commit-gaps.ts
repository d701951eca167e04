// How long writes stopped around a fault, as a client saw it, from the times its requests were
// answered committed (and the epoch that committed each).

export interface CommitTime {
  at: number;
  epoch: number;
}

/**
 * A leader's death: from the last commit before it (the kill itself when nothing was committed
 * before) to the first commit of a later epoch than the killed leader's, `killedEpoch` when known
 * (an answer the dead leader had already sent does not count as the new leader's). A kill before
 * the first answer read as 0: a short demo's writes stopped from the start until the new epoch.
 */
export function failoverStall(commits: readonly CommitTime[], killedAt: number, killedEpoch = 0): number {
  let lastBefore = -Infinity;
  let epochBefore = killedEpoch;
  for (const c of commits) {
    if (c.at <= killedAt && c.at > lastBefore) lastBefore = c.at;
    if (c.at <= killedAt) epochBefore = Math.max(epochBefore, c.epoch);
  }
  let firstAfter = Infinity;
  for (const c of commits) if (c.epoch > epochBefore && c.at < firstAfter) firstAfter = c.at;
  const stoppedAt = Number.isFinite(lastBefore) ? lastBefore : killedAt;
  return Number.isFinite(firstAfter) ? firstAfter - stoppedAt : 0;
}

/**
 * A fault that changes no leader (a NATS server's death): the longest gap between two consecutive
 * commits whose later one comes after the fault, up to `until` (its restart). A gap still open at
 * `until` counts up to it: only gaps closed by then counted, and the demo, which restarts the
 * server after a number of rounds, can restart it before anything was committed again, so a write
 * stop from the kill to past the restart read as 0.
 */
export function longestCommitGap(commits: readonly CommitTime[], faultAt: number, until: number): number {
  const times = commits.map((c) => c.at).sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i] > faultAt && times[i - 1] < until) longest = Math.max(longest, Math.min(times[i], until) - times[i - 1]);
  }
  return longest;
}
