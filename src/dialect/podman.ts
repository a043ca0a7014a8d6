// Podman's dialect of the Docker Engine API: how to recognise a Podman service, and the places
// where it answers differently from dockerd in ways berth smooths over. (docs/podman.md lists
// every known difference, including those berth leaves as they are.) Its Dialect entry is in
// podman-dialect.ts, loaded once the engine is known to be Podman.

import type { Filters } from "../generated/types.ts";

/** Which engine serves the API. */
export type EngineKind = "docker" | "podman";

interface HeaderSource {
  get(name: string): string | null;
}

/**
 * The engine named by a response's headers, when they say: Podman adds `Libpod-Api-Version` and a
 * `Server: Libpod/...` header to the replies of its handlers; dockerd sends `Server: Docker/...`.
 * Undefined when neither shows (a browser sees neither across CORS).
 */
export function engineFromHeaders(headers: HeaderSource): EngineKind | undefined {
  if (headers.get("libpod-api-version")) return "podman";
  const server = headers.get("server") ?? "";
  if (/^libpod\b/i.test(server)) return "podman";
  if (/^docker\b/i.test(server)) return "docker";
  return undefined;
}

/** The engine named by `GET /version`: Podman lists a "Podman Engine" component. */
export function engineFromVersion(version: { Components?: Array<{ Name?: string }> | null } | undefined): EngineKind {
  return version?.Components?.some((c) => typeof c?.Name === "string" && /podman/i.test(c.Name)) ? "podman" : "docker";
}

/**
 * Podman's reply for a path it has no handler for: its router answers 404 with the plain-text
 * status line "Not Found" and none of the headers its handlers add (`Api-Version`). A missing
 * object, by contrast, is a JSON error from a handler. (`/plugins` and a few others have a
 * handler that says "Path ... is not supported".)
 */
export function isPodmanRouteMiss(status: number, headers: HeaderSource, body: string): boolean {
  if (status !== 404) return false;
  const text = body.trim();
  if (text === "Not Found" && !headers.get("api-version")) return true;
  return /^Path \S+ is not supported$/.test(podmanMessage(text) ?? "");
}

function podmanMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; cause?: unknown };
    return typeof parsed?.message === "string" && "cause" in parsed ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Podman reports several conditions dockerd answers with 409 or 400 as 500, naming the condition
 * in the error's `cause`. berth gives them the status dockerd uses, so `isConflict`,
 * DockerConflictError and DockerBadRequestError mean the same on both engines.
 */
const CAUSE_STATUS: Array<[RegExp, number]> = [
  // Removing a running container, pausing a paused one, killing a stopped one...
  [/^container state improper$/, 409],
  [/^that name is already in use$/, 409],
  [/^network already exists$/, 409],
  [/^invalid argument$/, 400],
  [/^invalid signal\b/, 400],
  // An object removed a moment before: inspecting an auto-removed container while Podman removes
  // it answers 500 "... does not exist in database: no such container".
  [/^no such (container|image|volume|network|pod|exec session)$/, 404],
];

/** The status dockerd gives the condition in a Podman error body, or `status` unchanged. */
export function podmanErrorStatus(status: number, body: string): number {
  if (status !== 500) return status;
  let cause: unknown;
  try {
    const parsed = JSON.parse(body) as { cause?: unknown; response?: unknown };
    if (typeof parsed?.response !== "number") return status;
    cause = parsed.cause;
  } catch {
    return status;
  }
  if (typeof cause !== "string") return status;
  for (const [pattern, mapped] of CAUSE_STATUS) if (pattern.test(cause)) return mapped;
  return status;
}

/** The values of one filter key, whatever form it was given in (scalar, list, or `{ value: true }` map). */
export function filterValues(filters: Filters | undefined, key: string): string[] {
  const value = filters?.[key];
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "object") return Object.keys(value).filter((k) => (value as Record<string, boolean>)[k]);
  return [String(value)];
}

/**
 * Whether `labels` satisfy every `label` filter (`key` or `key=value`), as dockerd combines them.
 * Podman 4 combines several label filters on volumes with OR instead.
 */
export function matchesLabelFilters(labels: Record<string, string> | null | undefined, wanted: string[]): boolean {
  return wanted.every((filter) => {
    const eq = filter.indexOf("=");
    const key = eq === -1 ? filter : filter.slice(0, eq);
    if (!labels || !Object.prototype.hasOwnProperty.call(labels, key)) return false;
    return eq === -1 || labels[key] === filter.slice(eq + 1);
  });
}

/**
 * Podman 4 answers `top` for some images (those whose `ps` is busybox's) with whole lines: one
 * title "PID USER COMMAND" and rows of one string each. Splits them into columns as dockerd gives
 * them: on runs of blanks, the last column keeping the rest of the line (commands have spaces).
 * Any other answer is returned as it is.
 */
export function splitTopColumns<T extends { Titles?: string[]; Processes?: string[][] }>(top: T): T {
  const titles = top?.Titles;
  if (!titles || titles.length !== 1 || !/\s/.test(titles[0]!.trim())) return top;
  const names = titles[0]!.trim().split(/\s+/);
  const processes = (top.Processes ?? []).map((row) => (row.length === 1 ? splitFields(row[0]!, names.length) : row));
  return { ...top, Titles: names, Processes: processes };
}

function splitFields(line: string, count: number): string[] {
  const fields: string[] = [];
  let rest = line.trim();
  while (fields.length < count - 1) {
    const m = /^(\S+)\s+/.exec(rest);
    if (!m) break;
    fields.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  fields.push(rest);
  return fields;
}
