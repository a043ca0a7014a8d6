// Sizes as the Docker CLI takes them (`-m 700M`, `--shm-size 64m`): one parser for run() and
// build(), so "700M" means the same bytes everywhere.

import { DockerConfigError } from "../errors/errors.ts";

/**
 * Bytes from a number or a size like `700M` / `1.5g` / `512k` / `2GiB` (binary units, as the
 * CLI's). `unlimited: -1` also takes -1 (`memswap`: no swap limit). `where` names the option in
 * the error, e.g. `run(): memory`.
 */
export function parseSize(value: number | string, where: string, options: { unlimited?: boolean } = {}): number {
  if (typeof value === "number" && ((Number.isSafeInteger(value) && value >= 0) || (options.unlimited && value === -1))) return value;
  if (options.unlimited && value === "-1") return -1;
  const m = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([bkmgt])?(?:i?b)?\s*$/i.exec(value) : null;
  if (!m) {
    throw new DockerConfigError(`${where} must be bytes or a size such as "700M", "1.5g" or "512k"${options.unlimited ? " (or -1 for no limit)" : ""}, got ${JSON.stringify(value)}`);
  }
  const power = { b: 0, k: 1, m: 2, g: 3, t: 4 }[(m[2] ?? "b").toLowerCase() as "b" | "k" | "m" | "g" | "t"];
  return Math.round(Number(m[1]) * 1024 ** power);
}
