/** Median and range of a cell's repeated runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The middle value (the lower of the two middles for an even count, so that it is one run's value). */
export function medianIndex<T>(items: readonly T[], key: (item: T) => number): number {
  const order = items.map((item, index) => ({ index, value: key(item) })).sort((a, b) => a.value - b.value);
  return order[Math.floor((order.length - 1) / 2)].index;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

/** × ideal of a run; a run that lost requests (cut off included) sorts last, as Infinity. */
export const ratioOf = (run: { metrics: { lost: number; idealRatio: number } }): number => (run.metrics.lost > 0 ? Infinity : run.metrics.idealRatio);
