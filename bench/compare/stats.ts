/** Median and range of repeated measurements. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

export function summarize(xs: readonly number[]): Summary {
  const finite = xs.filter((x) => Number.isFinite(x));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, samples: [...xs] };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), samples: [...xs] };
}

/** `x` rounded to `digits` decimals, for printed and saved figures. */
export function round(x: number, digits = 1): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
