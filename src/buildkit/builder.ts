// Which builder a build uses. `auto` follows the engine as the Docker CLI does: BuildKit where the
// engine's /_ping says `Builder-Version: 2` (dockerd 23+ on Linux), the classic builder otherwise.
// DOCKER_BUILDKIT=0|1 in the environment overrides that on runtimes that have an environment.

import type { Client } from "../request/engine.ts";
import { discard } from "../request/engine.ts";
import { DockerConfigError } from "../errors/errors.ts";
import { compareVersions } from "../request/version.ts";
import type { Builder } from "./build-stream.ts";

export type BuilderChoice = "auto" | Builder;

const CHOICES: readonly BuilderChoice[] = ["auto", "buildkit", "classic"];

/** Refuses anything but the three choices, naming them. */
export function checkBuilderChoice(value: unknown, what = "builder"): BuilderChoice {
  if (typeof value === "string" && (CHOICES as readonly string[]).includes(value)) return value as BuilderChoice;
  throw new DockerConfigError(`Invalid ${what} ${JSON.stringify(value)}: expected "auto", "buildkit" or "classic"`);
}

/** DOCKER_BUILDKIT as the CLI reads it: a boolean (1/0, true/false); unset means `auto`. */
export function builderFromEnv(env: Record<string, string | undefined>): BuilderChoice | undefined {
  const raw = env.DOCKER_BUILDKIT;
  if (raw === undefined || raw === "") return undefined;
  const v = raw.trim().toLowerCase();
  if (["1", "t", "true"].includes(v)) return "buildkit";
  if (["0", "f", "false"].includes(v)) return "classic";
  throw new DockerConfigError(`DOCKER_BUILDKIT=${JSON.stringify(raw)} is not a boolean: expected 1 or 0 (true or false)`);
}

const engineDefaults = new WeakMap<Client, Promise<Builder>>();

/** The builder for one build: the call's choice, else the client's, resolved against the engine. */
export async function chooseBuilder(client: Client, choice: BuilderChoice | undefined, signal?: AbortSignal): Promise<Builder> {
  const wanted = checkBuilderChoice(choice ?? client.builder ?? "auto");
  if (wanted === "classic") return wanted;
  // An engine without BuildKit (Podman's buildah reads BuildKit's Dockerfile syntax itself,
  // ignores `version=2` and reports as the classic builder does) builds classic whatever is asked.
  if (!(await client.dialect({ signal })).buildKit) return "classic";
  if (wanted === "buildkit") return wanted;
  let found = engineDefaults.get(client);
  if (!found) {
    found = engineDefault(client, signal);
    engineDefaults.set(client, found);
    found.catch(() => engineDefaults.delete(client)); // asked again by the next build
  }
  return found;
}

async function engineDefault(client: Client, signal?: AbortSignal): Promise<Builder> {
  // Negotiation's ping usually told already; a pinned version never pinged.
  let headers = client.pingHeaders;
  if (!headers) {
    const ping = await client.send({ method: "GET", path: "/_ping", unversioned: true, signal });
    headers = { builderVersion: ping.headers.get("builder-version"), apiVersion: ping.headers.get("api-version") };
    await discard(ping);
  }
  const { builderVersion, apiVersion } = headers;
  if (builderVersion === "2") return "buildkit";
  if (builderVersion !== null || apiVersion !== null) return "classic";
  // No headers readable at all: a browser, where the engine's CORS reply exposes none. Engines of
  // API 1.42 (Docker 23) and later build with BuildKit by default on Linux.
  return compareVersions(await client.apiVersion(), "1.42") >= 0 ? "buildkit" : "classic";
}
