// .dockerignore, read and matched the way the Docker CLI does: comments, `!` exceptions, `*`,
// `?`, `[...]`, `**` across directories, the last matching pattern wins, and a pattern that
// matches a directory excludes everything under it.

interface Pattern {
  exclusion: boolean;
  regex: RegExp;
  text: string;
}

/** Parses .dockerignore text into cleaned patterns (`!` kept as a prefix). */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (const raw of lines) {
    if (raw.startsWith("#")) continue;
    let pattern = raw.trim();
    if (pattern === "") continue;
    const invert = pattern.startsWith("!");
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    out.push(invert ? `!${pattern}` : pattern);
  }
  return out;
}

/** Lexical path cleaning like Go's path.Clean. */
export function cleanPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length && parts[parts.length - 1] !== "..") parts.pop();
      else if (!rooted) parts.push("..");
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join("/");
  return rooted ? `/${joined}` : joined || ".";
}

/** Decides which context paths are excluded. Paths are relative, `/`-separated. */
export class IgnoreMatcher {
  readonly #patterns: Pattern[];
  /** True when some pattern re-includes: excluded directories must then still be walked. */
  readonly hasExceptions: boolean;

  constructor(patterns: string[]) {
    this.#patterns = patterns
      .filter((p) => p !== "" && p !== "!")
      .map((p) => {
        const exclusion = p.startsWith("!");
        const text = exclusion ? p.slice(1) : p;
        return { exclusion, text, regex: compile(text) };
      });
    this.hasExceptions = this.#patterns.some((p) => p.exclusion);
  }

  /** Whether `path` (or one of its parent directories) is excluded. */
  excludes(path: string): boolean {
    const file = cleanPath(path);
    const parents = file.includes("/") ? file.split("/").slice(0, -1) : [];
    let matched = false;
    for (const pattern of this.#patterns) {
      // Only a pattern that could flip the current verdict needs testing.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.regex.test(file);
      for (let i = 0; !match && i < parents.length; i++) match = pattern.regex.test(parents.slice(0, i + 1).join("/"));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }
}

const SPECIAL = new Set([".", "+", "(", ")", "|", "{", "}", "$", "^"]);

/** Translates a pattern to an anchored regular expression (patternmatcher's rules). */
function compile(pattern: string): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") i++;
        // `**` at the end takes everything; elsewhere any number of directories, zero included.
        re += i + 1 >= pattern.length ? ".*" : "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (ch === "?") {
      re += "[^/]";
    } else if (ch === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) {
        re += "\\[";
      } else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\(?!\])/g, "\\\\")}]`;
        i = end;
      }
    } else if (ch === "\\") {
      const next = pattern[i + 1];
      if (next !== undefined) {
        re += `\\${next}`;
        i++;
      } else {
        re += "\\\\";
      }
    } else if (SPECIAL.has(ch) || ch === "]") {
      re += `\\${ch}`;
    } else {
      re += ch;
    }
  }
  return new RegExp(`${re}$`, "s");
}
