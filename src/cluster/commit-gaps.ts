// How long writes stopped around a fault, as a client saw it, from the times its requests were
// answered committed (and the epoch that committed each).

export interface CommitTime {
  at: number;
  epoch: number;
}

/**
 * A leader's death: from the last commit before it to the first commit of a later epoch (an
 * answer the dead leader had already sent does not count as the new leader's).
 */
export function failoverStall(commits: readonly CommitTime[], killedAt: number): number {
  let lastBefore = -Infinity;
  let epochBefore = 0;
  for (const c of commits) {
    if (c.at <= killedAt && c.at > lastBefore) lastBefore = c.at;
    if (c.at <= killedAt) epochBefore = Math.max(epochBefore, c.epoch);
  }
  let firstAfter = Infinity;
  for (const c of commits) if (c.epoch > epochBefore && c.at < firstAfter) firstAfter = c.at;
  return Number.isFinite(lastBefore) && Number.isFinite(firstAfter) ? firstAfter - lastBefore : 0;
}

/**
 * A fault that changes no leader (a NATS server's death): the longest gap between two consecutive
 * commits whose later one falls between the fault and `until`.
 */
export function longestCommitGap(commits: readonly CommitTime[], faultAt: number, until: number): number {
  const times = commits.map((c) => c.at).sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i] > faultAt && times[i] <= until) longest = Math.max(longest, times[i] - times[i - 1]);
  }
  return longest;
}
