// API versions: comparing them, and the bounds berth speaks.

/** The newest Engine API version berth knows (its types are generated from this spec). */
export const MAX_API_VERSION = "1.55";
/** The oldest Engine API version berth supports. */
export const MIN_API_VERSION = "1.24";

/** Compares dotted versions numerically: "1.9" < "1.41". Returns -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number(pa[i] ?? 0);
    const y = Number(pb[i] ?? 0);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function isValidVersion(v: string): boolean {
  return /^\d+\.\d+$/.test(v);
}
