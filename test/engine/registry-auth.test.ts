// Registry credentials end to end: a credential helper on PATH (named in config.json's
// credHelpers) and an `auths` entry give the credentials for the htpasswd registry on
// 127.0.0.1:5001 (scripts/registry.sh); the engine pushes and pulls with them through raw calls,
// and `images.pull` picks them up by itself. Wrong or missing credentials: what the engine says.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Docker, DockerUnauthorizedError, encodeRegistryAuth, type RegistryAuth, type TransportResponse } from "berth-docker";

const REGISTRY = "127.0.0.1:5001";
const USER = "berth";
const PASSWORD = "berth-registry-secret";
const IMAGE = "berth-test:busybox";
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const REPO = `${REGISTRY}/berth-auth-${run}`;

let scratch: string;
let helperLog: string;
let savedPath: string | undefined;
const docker = Docker.fromEnv(); // replaced in beforeAll by one reading the test's DOCKER_CONFIG
let client: Docker = docker;
const tagged: string[] = [];

beforeAll(async () => {
  execFileSync("bash", [join(__dirname, "../../scripts/registry.sh"), "--quiet"], { stdio: "inherit" });
  scratch = mkdtempSync(join(tmpdir(), "berth-registry-auth-"));
  // A credential helper as the CLI runs it: `docker-credential-<name> get`, registry on stdin.
  const bin = join(scratch, "bin");
  mkdirSync(bin);
  helperLog = join(scratch, "helper.log");
  writeFileSync(
    join(bin, "docker-credential-berthtest"),
    `#!/bin/sh
[ "$1" = get ] || { echo "unsupported: $1"; exit 1; }
read -r server
echo "$server" >> "${helperLog}"
if [ "$server" = "${REGISTRY}" ]; then
  printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}\\n' "$server"
else
  echo "credentials not found in native keychain"
  exit 1
fi
`,
  );
  chmodSync(join(bin, "docker-credential-berthtest"), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${process.env.PATH}`;
  const config = join(scratch, "docker-config");
  mkdirSync(config);
  writeFileSync(join(config, "config.json"), JSON.stringify({ auths: {}, credHelpers: { [REGISTRY]: "berthtest" } }));
  client = Docker.fromEnv({ env: { DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CONFIG: config } });

  await docker.request("POST /images/{name}/tag", { path: { name: IMAGE }, query: { repo: REPO, tag: "v1" } });
  tagged.push(`${REPO}:v1`);
}, 120_000);

afterAll(async () => {
  for (const ref of tagged) await docker.request("DELETE /images/{name}", { path: { name: ref } }).catch(() => {});
  await docker.close();
  await client.close();
  process.env.PATH = savedPath;
  rmSync(scratch, { recursive: true, force: true });
});

/** The JSON lines of a progress stream. */
async function events(response: TransportResponse): Promise<Array<{ status?: string; error?: string; aux?: { Digest?: string } }>> {
  const text = await response.text();
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

function push(auth: RegistryAuth | undefined) {
  return client.requestRaw("POST /images/{name}/push", {
    path: { name: REPO },
    query: { tag: "v1" },
    headers: { "X-Registry-Auth": encodeRegistryAuth(auth ?? {}) },
  });
}

function pull(auth: RegistryAuth | undefined) {
  return client.requestRaw("POST /images/create", {
    query: { fromImage: REPO, tag: "v1" },
    headers: auth ? { "X-Registry-Auth": encodeRegistryAuth(auth) } : {},
  });
}

describe("registry credentials with the htpasswd registry", () => {
  it("the credential helper named in credHelpers supplies the registry's credentials", async () => {
    const auth = await client.credentials!.forImage(`${REPO}:v1`);
    expect(auth).toEqual({ serveraddress: REGISTRY, username: USER, password: PASSWORD });
    expect(readFileSync(helperLog, "utf8").trim().split("\n").at(-1)).toBe(REGISTRY);
    // Other registries are not the helper's business: it answers "not found", berth says none.
    expect(await client.credentials!.forImage("busybox")).toBeUndefined();
  });

  it("a push with the resolved credentials succeeds", async () => {
    const auth = await client.credentials!.forImage(REPO);
    const lines = await events(await push(auth));
    expect(lines.filter((l) => l.error)).toEqual([]);
    expect(lines.some((l) => l.aux?.Digest?.startsWith("sha256:"))).toBe(true);
  });

  it("a raw pull with the resolved credentials succeeds", async () => {
    await docker.request("DELETE /images/{name}", { path: { name: `${REPO}:v1` } });
    const auth = await client.credentials!.forImage(`${REPO}:v1`);
    const lines = await events(await pull(auth));
    expect(lines.filter((l) => l.error)).toEqual([]);
    expect(lines.at(-1)?.status).toMatch(/Downloaded newer image|Image is up to date/);
    const image = await docker.request("GET /images/{name}/json", { path: { name: `${REPO}:v1` } });
    expect(image.RepoTags).toContain(`${REPO}:v1`);
  });

  it("images.pull finds the credentials by itself", async () => {
    await docker.request("DELETE /images/{name}", { path: { name: `${REPO}:v1` } });
    const image = await client.images.pull(`${REPO}:v1`);
    expect(image.id).toMatch(/^sha256:/);
  });

  it("an auths entry (base64 user:password) works the same way", async () => {
    const config = join(scratch, "auths-config");
    mkdirSync(config);
    writeFileSync(join(config, "config.json"), JSON.stringify({ auths: { [`http://${REGISTRY}`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString("base64") } } }));
    const other = Docker.fromEnv({ env: { DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CONFIG: config } });
    try {
      const auth = await other.credentials!.forImage(REPO);
      expect(auth).toMatchObject({ username: USER, password: PASSWORD });
      await docker.request("DELETE /images/{name}", { path: { name: `${REPO}:v1` } });
      const lines = await events(await other.requestRaw("POST /images/create", { query: { fromImage: REPO, tag: "v1" }, headers: { "X-Registry-Auth": encodeRegistryAuth(auth!) } }));
      expect(lines.filter((l) => l.error)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  // What API 1.41 (dockerd 20.10) answers: a pull with bad or no credentials fails before the
  // stream starts, with HTTP 500 (not 401); berth recognises the registry's refusal and raises
  // DockerUnauthorizedError (status kept as 500). A push with bad credentials answers 200 and
  // fails in-band: a DockerStreamError whose isUnauthorized is true.
  it("a wrong password: the pull is refused (500 unauthorized), the push fails in-band", async () => {
    const wrong = { username: USER, password: "not-the-password", serveraddress: REGISTRY };
    const err = await pull(wrong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerUnauthorizedError);
    expect((err as DockerUnauthorizedError).isUnauthorized).toBe(true);
    expect((err as DockerUnauthorizedError).status).toBe(500);
    expect((err as DockerUnauthorizedError).reason).toMatch(/unauthorized|authentication required/);
    expect((err as Error).message).not.toContain("not-the-password");

    const lines = await events(await push(wrong));
    expect(lines.find((l) => l.error)?.error).toMatch(/unauthorized|authentication required/);
  });

  it("no credentials: the pull is refused with the registry's reason", async () => {
    const err = await pull(undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerUnauthorizedError);
    expect((err as DockerUnauthorizedError).reason).toMatch(/no basic auth credentials|unauthorized/);
  });
});
