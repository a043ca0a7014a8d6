// Secrets stay secret: registry passwords, identity tokens, X-Registry-Auth values and TLS private
// keys never show in errors (message, stack, cause chain), in the inspected or serialised client,
// or on the console, whatever fails along the way.
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CredentialResolver,
  Docker,
  DockerConfigError,
  DockerError,
  encodeRegistryAuth,
  loadDockerConfig,
  type ConfigFs,
  type Transport,
  type TransportRequest,
} from "berth-docker";

const PASSWORD = "s3cr3t-Pa55word-7731";
const TOKEN = "identity-token-a9f8e7d6";
const KEY_BODY = "MC4CAQAwBQYDK2VwBCIEIPrivateKeyMaterial0000000000000000000";
const AUTH = { username: "alice", password: PASSWORD, serveraddress: "registry.example.com" };
const HEADER = encodeRegistryAuth(AUTH);
const BASE64_USERPASS = Buffer.from(`alice:${PASSWORD}`).toString("base64");
const SECRETS = [PASSWORD, TOKEN, KEY_BODY, HEADER, BASE64_USERPASS];

/** Everything a user, a logger or a crash report could print about a value. */
function everyRendering(value: unknown): string {
  const parts = [String(value), inspect(value, { depth: Infinity, showHidden: true, getters: true })];
  try {
    parts.push(JSON.stringify(value) ?? "");
  } catch (err) {
    parts.push(String(err));
  }
  if (value instanceof Error) {
    parts.push(value.message, value.stack ?? "");
    let cause = (value as { cause?: unknown }).cause;
    while (cause) {
      parts.push(String(cause), inspect(cause, { depth: Infinity, showHidden: true }));
      cause = (cause as { cause?: unknown }).cause;
    }
  }
  return parts.join("\n");
}

function expectNoSecrets(value: unknown, extra: string[] = []): void {
  const text = everyRendering(value);
  for (const secret of [...SECRETS, ...extra]) expect(text, `leaked ${secret.slice(0, 12)}…`).not.toContain(secret);
}

/** A transport answering every request with `answer`, remembering what it was sent. */
function fakeTransport(answer: (req: TransportRequest) => Response | Promise<Response>): Transport & { seen: TransportRequest[] } {
  const seen: TransportRequest[] = [];
  return {
    address: "tcp://fake:2375",
    seen,
    async request(req) {
      seen.push(req);
      if (req.path === "/_ping") return new Response("OK", { headers: { "api-version": "1.41" } });
      return answer(req);
    },
  };
}

const consoleOutput: string[] = [];
beforeEach(() => {
  consoleOutput.length = 0;
  for (const level of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void consoleOutput.push(args.map((a) => inspect(a)).join(" ")));
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  // Nothing berth did wrote secrets to the console (it writes nothing at all).
  for (const secret of SECRETS) expect(consoleOutput.join("\n")).not.toContain(secret);
});

describe("the client object", () => {
  it("shows no credentials, headers or TLS key when inspected or serialised", async () => {
    const docker = new Docker({
      host: "https://engine.example:2376",
      tls: { ca: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----", cert: "-----BEGIN CERTIFICATE-----\nC\n-----END CERTIFICATE-----", key: `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----` },
      headers: { "X-Registry-Auth": HEADER, Authorization: `Bearer ${TOKEN}` },
      credentials: CredentialResolver.of({ "registry.example.com": AUTH, "docker.io": { identitytoken: TOKEN } }),
    });
    expectNoSecrets(docker);
    expectNoSecrets(docker.credentials);
    expectNoSecrets(docker.client);
    expect(inspect(docker)).toContain("https://engine.example:2376"); // the address is fine to show
    // The resolver still works: it hides its contents, it does not lose them.
    expect(await docker.credentials!.forImage("registry.example.com/app")).toMatchObject({ password: PASSWORD });
    await docker.close();
  });

  it("a resolver over config.json holds nothing but functions", async () => {
    const fs: ConfigFs = { home: "/h", readText: () => JSON.stringify({ auths: { "registry.example.com": { auth: BASE64_USERPASS, identitytoken: TOKEN } } }) };
    const resolver = new CredentialResolver({ loadConfig: () => loadDockerConfig({}, fs) });
    expect(await resolver.forRegistry("registry.example.com")).toMatchObject({ password: PASSWORD, identitytoken: TOKEN });
    expectNoSecrets(resolver);
  });
});

describe("errors of calls that carried credentials", () => {
  it("a registry refusal (HTTP 500 from the engine) names the operation, not the header", async () => {
    const transport = fakeTransport(() => new Response(JSON.stringify({ message: "unauthorized: authentication required" }), { status: 500, headers: { "content-type": "application/json" } }));
    const docker = new Docker({ transport, credentials: CredentialResolver.of({ "registry.example.com": AUTH }) });
    const err = await docker.requestRaw("POST /images/create", { query: { fromImage: "registry.example.com/app", tag: "1" }, headers: { "X-Registry-Auth": HEADER } }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerError);
    expect(err.message).toContain("unauthorized");
    expect(transport.seen.at(-1)!.headers["X-Registry-Auth"]).toBe(HEADER); // it was sent...
    expectNoSecrets(err); // ...and is nowhere in the error
  });

  it("images.pull with automatic credentials: a refusal shows no secret", async () => {
    const transport = fakeTransport(() => new Response(JSON.stringify({ message: "unauthorized: incorrect username or password" }), { status: 401, headers: { "content-type": "application/json" } }));
    const docker = new Docker({ transport, credentials: CredentialResolver.of({ "registry.example.com": AUTH }) });
    const err = await docker.images.pull("registry.example.com/app:1").catch((e) => e);
    expect(err).toBeInstanceOf(DockerError);
    const sent = transport.seen.at(-1)!.headers["X-Registry-Auth"]!;
    expect(JSON.parse(Buffer.from(sent, "base64url").toString())).toEqual(AUTH);
    expectNoSecrets(err, [sent]);
  });

  it("a connection failure and a timeout show no secret", async () => {
    const failing = new Docker({
      transport: fakeTransport((req) => {
        throw Object.assign(new Error(`connect ECONNREFUSED while sending ${req.method}`), { code: "ECONNREFUSED" });
      }),
    });
    const refused = await failing.requestRaw("POST /images/create", { query: { fromImage: "r.example/a" }, headers: { "X-Registry-Auth": HEADER } }).catch((e) => e);
    expect(refused).toBeInstanceOf(DockerError);
    expectNoSecrets(refused);

    const slow = new Docker({ transport: fakeTransport((req) => new Promise((_, reject) => req.signal?.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" }))))) });
    const timedOut = await slow.requestRaw("POST /images/create", { query: { fromImage: "r.example/a" }, headers: { "X-Registry-Auth": HEADER }, timeout: 20 }).catch((e) => e);
    expect(timedOut).toBeInstanceOf(DockerError);
    expectNoSecrets(timedOut);
  });

  it("configuration errors about credentials never quote them", async () => {
    const bad: ConfigFs = { home: "/h", readText: () => `{"auths":{"registry.example.com":{"auth":"${BASE64_USERPASS.replace(/=/g, "")}!!"}}}` };
    const malformed = await new CredentialResolver({ loadConfig: () => loadDockerConfig({}, bad) }).forRegistry("registry.example.com").catch((e) => e);
    expect(malformed).toBeInstanceOf(DockerConfigError);
    expectNoSecrets(malformed);

    const broken: ConfigFs = { home: "/h", readText: () => `{"auths":{"registry.example.com":{"auth":"${BASE64_USERPASS}", "password": "${PASSWORD}"` };
    const unparsable = await new CredentialResolver({ loadConfig: () => loadDockerConfig({}, broken) }).forRegistry("registry.example.com").catch((e) => e);
    expect(unparsable).toBeInstanceOf(DockerConfigError);
    expectNoSecrets(unparsable);

    const helperJunk = new CredentialResolver({
      loadConfig: () => ({ path: "/h/.docker/config.json", config: { credsStore: "x" } }),
      runHelper: async () => ({ exitCode: 0, stdout: `{"Username":"alice","Secret":"${PASSWORD}"`, stderr: "" }),
    });
    const junk = await helperJunk.forRegistry("registry.example.com").catch((e) => e);
    expect(junk).toBeInstanceOf(DockerConfigError);
    expectNoSecrets(junk);
  });
});
