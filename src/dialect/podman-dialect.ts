// Podman's entry of the Dialect table (dialect.ts), loaded by the client once the engine is known
// to be Podman: a program that only ever talks to dockerd does not carry it. How Podman is
// recognised, and its error and filter quirks, are in podman.ts.

import type { Dialect } from "./dialect.ts";

/** Podman 4's Docker-compatible service, where it differs from dockerd (docs/podman.md). */
export const podmanDialect: Dialect = {
  engine: "podman",
  // buildah builds every image; it reads BuildKit's Dockerfile syntax itself and ignores version=2.
  buildKit: false,
  noBuildSession: "Podman builds with buildah, which has no BuildKit session",
  // Its "removed" wait answers exit code 0 whatever the process returned.
  autoRemoveWait: "next-exit",
  // Its logs bodies are application/octet-stream whatever the TTY.
  labelsLogFraming: false,
  // The replayed lines' newline follows their frame instead of being in it.
  repairsAttachLogReplay: true,
  volumeLabelsMatchAny: true,
  // Without a tag it pulls only latest.
  pullsAllTags: false,
  // One JSON list.
  extraHosts: (hosts) => JSON.stringify(hosts),
  // "Error: runc: exec failed: ..." on stderr, or on stdout when a TTY merges the streams.
  execStartFailure(output) {
    for (const [text, other] of [[output.stderr, output.stdout], [output.stdout, output.stderr]] as const) {
      if (other === "" && /^Error: \S+: exec failed: /.test(text)) return text.split("\n")[0]!.replace(/^Error: /, "").trim();
    }
    return undefined;
  },
};
