// The build options that need a session, checked before any request: `secrets`, `ssh` and
// `contextTransfer: "session"`.

import { DockerConfigError } from "../../errors/errors.ts";

/**
 * A secret for `RUN --mount=type=secret,id=ID`: its value (text or bytes), or where to read it
 * when the engine asks (a local file, an environment variable; server runtimes).
 */
export type BuildSecret = string | Uint8Array | { file: string } | { env: string };

/**
 * Agents for `RUN --mount=type=ssh[,id=ID]`: `true` forwards `SSH_AUTH_SOCK` as `default`; an
 * object maps ids to agent socket paths (`{ default: "/run/user/1000/ssh-agent.sock" }`).
 */
export type BuildSsh = true | Record<string, string>;

const SECRET_FORMS = 'a string or Uint8Array (the value), { file: "path" } or { env: "NAME" }';
// BuildKit takes any id; this keeps ids to what a Dockerfile's `id=` can spell (no `,` or `=`).
const ID = /^[A-Za-z0-9_.\-/]{1,255}$/;

/** Refuses anything but the accepted forms, naming them; never echoes a value. */
export function checkSecrets(secrets: unknown): Map<string, BuildSecret> | undefined {
  if (secrets === undefined) return undefined;
  if (secrets === null || typeof secrets !== "object" || Array.isArray(secrets) || secrets instanceof Uint8Array) {
    throw new DockerConfigError(`Invalid secrets: expected an object of id → ${SECRET_FORMS}`);
  }
  const out = new Map<string, BuildSecret>();
  for (const [id, value] of Object.entries(secrets)) {
    checkId(id, "secret");
    if (typeof value === "string" || value instanceof Uint8Array) out.set(id, value);
    else if (isOnly(value, "file") && typeof value.file === "string" && value.file !== "") out.set(id, { file: value.file });
    else if (isOnly(value, "env") && typeof value.env === "string" && value.env !== "") out.set(id, { env: value.env });
    else throw new DockerConfigError(`Invalid secret ${JSON.stringify(id)}: expected ${SECRET_FORMS}`);
  }
  return out;
}

/** `true`, or ids to socket paths; undefined and `false` mean no forwarding. */
export function checkSsh(ssh: unknown): Map<string, string | undefined> | undefined {
  if (ssh === undefined || ssh === false) return undefined;
  const forms = 'true (SSH_AUTH_SOCK as "default") or an object of id → agent socket path';
  if (ssh === true) return new Map([["default", undefined]]);
  if (ssh === null || typeof ssh !== "object" || Array.isArray(ssh)) throw new DockerConfigError(`Invalid ssh: expected ${forms}`);
  const out = new Map<string, string | undefined>();
  for (const [id, path] of Object.entries(ssh)) {
    checkId(id, "ssh agent");
    if (typeof path !== "string" || path === "") throw new DockerConfigError(`Invalid ssh agent ${JSON.stringify(id)}: expected ${forms}`);
    out.set(id, path);
  }
  if (out.size === 0) throw new DockerConfigError(`Invalid ssh: no agent given; expected ${forms}`);
  return out;
}

/**
 * `"session"` or `"tar"`. `"session"` insists where leaving it out only prefers: a build that
 * says it cannot have a session, or gives no directory to serve, is refused.
 */
export function checkContextTransfer(value: unknown, build: { session?: boolean; builder?: string; directory: boolean }): void {
  if (value === undefined || value === "tar") return;
  if (value !== "session") throw new DockerConfigError(`Invalid contextTransfer ${JSON.stringify(value)}: expected "session" or "tar"`);
  if (build.session === false) throw new DockerConfigError('contextTransfer: "session" serves the directory through the build session, and this build says session: false: leave one out');
  if (build.builder === "classic") throw new DockerConfigError('contextTransfer: "session" needs the BuildKit builder, and this build asks for builder: "classic": use "buildkit" or "auto"');
  if (!build.directory) throw new DockerConfigError('contextTransfer: "session" serves a directory, and this context is a tar or tar entries: pass the directory ("./app"), or leave contextTransfer out');
}

function checkId(id: string, what: string): void {
  if (!ID.test(id)) throw new DockerConfigError(`Invalid ${what} id ${JSON.stringify(id)}: expected 1 to 255 letters, digits, and . _ - /`);
}

function isOnly<K extends string>(value: unknown, key: K): value is Record<K, unknown> {
  return typeof value === "object" && value !== null && !(value instanceof Uint8Array) && Object.keys(value).length === 1 && key in value;
}
