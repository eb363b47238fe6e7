/** Ranking metrics of a scorer against labels: ROC AUC and precision at a given recall. */

/** Area under the ROC curve (the Mann-Whitney statistic; tied scores count one half). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && scores[idx[j]!] === scores[idx[i]!]) j++;
    const rank = (i + 1 + j) / 2; // average 1-based rank of the tie group
    for (let k = i; k < j; k++)
      if (labels[idx[k]!]) {
        pos++;
        rankSum += rank;
      }
    i = j;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Precision at the highest threshold whose recall reaches `recall`: flag every event scoring at
 * least that threshold (ties are flagged together), and report the share of flagged events that
 * are fraud.
 */
export function precisionAtRecall(scores: ArrayLike<number>, labels: ArrayLike<boolean>, recall: number): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let total = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) total++;
  if (total === 0) return Number.NaN;
  let tp = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && scores[idx[j]!] === scores[idx[i]!]) j++;
    for (let k = i; k < j; k++) if (labels[idx[k]!]) tp++;
    if (tp / total >= recall) return tp / j;
    i = j;
  }
  return tp / idx.length;
}
