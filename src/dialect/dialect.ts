// What differs between the engines berth speaks to, one entry per behaviour: methods ask the
// engine's dialect (`client.dialect()`) instead of branching on the engine inline, so each
// difference is written once, beside its reason. Docker Engine's is here; Podman's in
// podman-dialect.ts (loaded only for Podman), the rest of what berth knows about Podman in
// podman.ts. docs/podman.md lists them for users.

import type { EngineKind } from "./podman.ts";

/** Collected exec output, as text. */
export interface TextOutput {
  stdout: string;
  stderr: string;
}

export interface Dialect {
  readonly engine: EngineKind;
  /** Whether it builds with BuildKit when asked (`version=2`); else every build is classic. */
  readonly buildKit: boolean;
  /** Why a build session cannot be had here whatever is asked, or undefined. */
  readonly noBuildSession: string | undefined;
  /** The condition `run()` waits on, registered before starting an auto-removed container. */
  readonly autoRemoveWait: "removed" | "next-exit";
  /** Whether, on API 1.42+, a logs body's content type tells multiplexed from raw output. */
  readonly labelsLogFraming: boolean;
  /** Whether `attach({ logs: true })`'s replayed frames need repairing before demuxing. */
  readonly repairsAttachLogReplay: boolean;
  /** Whether several `label` filters on volumes select those having ANY label (not ALL). */
  readonly volumeLabelsMatchAny: boolean;
  /** Whether `fromImage` without a tag pulls every tag. */
  readonly pullsAllTags: boolean;
  /** The build's `extrahosts` query value for these hosts. */
  extraHosts(hosts: string[]): string | string[];
  /** The engine's own report of an exec whose process could not start (exit 126/127), if this is one. */
  execStartFailure(output: TextOutput): string | undefined;
}

/** Docker Engine (dockerd): the API as its spec says. */
export const dockerDialect: Dialect = {
  engine: "docker",
  buildKit: true,
  noBuildSession: undefined,
  // (Podman's "removed" wait answers 0 whatever the exit code; dockerd's is right.)
  autoRemoveWait: "removed",
  labelsLogFraming: true,
  repairsAttachLogReplay: false,
  volumeLabelsMatchAny: false,
  pullsAllTags: true,
  // One parameter per host.
  extraHosts: (hosts) => hosts,
  // dockerd writes "OCI runtime exec failed: ..." into stdout, with CR LF.
  execStartFailure: ({ stdout, stderr }) => (stderr === "" && stdout.endsWith("\r\n") ? stdout.trim() : undefined),
};
