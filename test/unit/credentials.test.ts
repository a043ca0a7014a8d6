// Registry credentials from config.json: auths, credsStore, credHelpers, name normalisation, and
// the header encoding the engine decodes.
import { describe, expect, it } from "vitest";
import { DockerConfigError } from "../../src/errors/errors.ts";
import { decodeBase64, encodeBase64 } from "../../src/config/base64.ts";
import { loadDockerConfig, type ConfigFs } from "../../src/server/config/config-file.ts";
import { CredentialResolver, type HelperOutput } from "../../src/server/config/credentials.ts";
import {
  encodeRegistryAuth,
  encodeRegistryConfig,
  registryAuthKey,
  registryOfImage,
} from "../../src/config/registry-auth.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function resolverFor(config: unknown, helpers: Record<string, (registry: string) => HelperOutput> = {}) {
  const calls: Array<[string, string]> = [];
  const fs: ConfigFs = {
    home: "/home/u",
    readText: (path) => (path === "/home/u/.docker/config.json" ? (typeof config === "string" ? config : JSON.stringify(config)) : undefined),
  };
  const resolver = new CredentialResolver({
    loadConfig: () => loadDockerConfig({}, fs),
    runHelper: async (name, registry) => {
      calls.push([name, registry]);
      const helper = helpers[name];
      if (!helper) throw Object.assign(new Error(`spawn docker-credential-${name} ENOENT`), { code: "ENOENT" });
      return helper(registry);
    },
  });
  return { resolver, calls };
}

const ok = (obj: unknown): HelperOutput => ({ exitCode: 0, stdout: JSON.stringify(obj), stderr: "" });

describe("registryOfImage", () => {
  it.each([
    ["busybox", "docker.io"],
    ["busybox:1.36", "docker.io"],
    ["library/busybox", "docker.io"],
    ["user/app@sha256:abcd", "docker.io"],
    ["docker.io/library/busybox", "docker.io"],
    ["index.docker.io/user/app", "docker.io"],
    ["registry-1.docker.io/user/app", "docker.io"],
    ["localhost/app", "localhost"],
    ["localhost:5000/app:dev", "localhost:5000"],
    ["127.0.0.1:5001/team/app", "127.0.0.1:5001"],
    ["ghcr.io/owner/app:1", "ghcr.io"],
    ["[::1]:5000/app", "[::1]:5000"],
    ["Registry/app", "Registry"],
    ["foo:5000", "docker.io"], // a tag, not a port: no slash
  ])("%s → %s", (ref, registry) => {
    expect(registryOfImage(ref)).toBe(registry);
  });

  it("rejects an empty reference", () => {
    expect(() => registryOfImage(" ")).toThrow(DockerConfigError);
  });
});

describe("registryAuthKey", () => {
  it.each([
    ["docker.io", "https://index.docker.io/v1/"],
    ["index.docker.io", "https://index.docker.io/v1/"],
    ["https://index.docker.io/v1/", "https://index.docker.io/v1/"],
    ["registry-1.docker.io", "https://index.docker.io/v1/"],
    ["127.0.0.1:5001", "127.0.0.1:5001"],
    ["https://registry.example.com/v2/", "registry.example.com"],
    ["http://localhost:5000", "localhost:5000"],
  ])("%s → %s", (input, key) => {
    expect(registryAuthKey(input)).toBe(key);
  });
});

describe("encodeRegistryAuth", () => {
  it("is padded base64url JSON the engine decodes, without empty fields", () => {
    const value = encodeRegistryAuth({ username: "ü>?", password: "p?>~", serveraddress: "r.example", email: "" });
    expect(value).not.toMatch(/[+/]/);
    expect(value.length % 4).toBe(0);
    expect(JSON.parse(Buffer.from(value, "base64url").toString("utf8"))).toEqual({ username: "ü>?", password: "p?>~", serveraddress: "r.example" });
  });

  it("encodes an X-Registry-Config map", () => {
    const value = encodeRegistryConfig({ "r.example": { username: "u", password: "p" } });
    expect(JSON.parse(Buffer.from(value, "base64url").toString())).toEqual({ "r.example": { username: "u", password: "p" } });
  });
});

describe("base64", () => {
  it("round-trips every length and both alphabets, and matches Buffer", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 97 + n * 13) & 0xff);
      expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
      const url = encodeBase64(bytes, { url: true });
      expect(url.replace(/=+$/, "")).toBe(Buffer.from(bytes).toString("base64url"));
      expect(decodeBase64(url)).toEqual(bytes);
      expect(decodeBase64(Buffer.from(bytes).toString("base64"))).toEqual(bytes);
    }
  });

  it("rejects what is not base64", () => {
    expect(decodeBase64("a")).toBeUndefined();
    expect(decodeBase64("ab$d")).toBeUndefined();
  });
});

describe("CredentialResolver: auths", () => {
  it("decodes auth (user:password, the password may contain colons) for the image's registry", async () => {
    const { resolver } = resolverFor({ auths: { "127.0.0.1:5001": { auth: b64("alice:pa:ss") } } });
    expect(await resolver.forImage("127.0.0.1:5001/app:1")).toEqual({ serveraddress: "127.0.0.1:5001", username: "alice", password: "pa:ss" });
    expect(await resolver.forImage("127.0.0.1:5000/app")).toBeUndefined();
  });

  it("finds Docker Hub's entry under https://index.docker.io/v1/", async () => {
    const { resolver } = resolverFor({ auths: { "https://index.docker.io/v1/": { auth: b64("hubuser:hubpass") } } });
    const expected = { serveraddress: "https://index.docker.io/v1/", username: "hubuser", password: "hubpass" };
    expect(await resolver.forImage("busybox")).toEqual(expected);
    expect(await resolver.forImage("docker.io/library/busybox")).toEqual(expected);
    expect(await resolver.forRegistry("docker.io")).toEqual(expected);
  });

  it("matches an entry written with a scheme or path by its host, as the CLI does", async () => {
    const { resolver } = resolverFor({ auths: { "https://registry.example.com/v2/": { auth: b64("u:p") } } });
    expect(await resolver.forImage("registry.example.com/team/app")).toMatchObject({ username: "u", password: "p" });
  });

  it("returns identity and registry tokens", async () => {
    const { resolver } = resolverFor({ auths: { "r.example": { identitytoken: "refresh-123" }, "t.example": { registrytoken: "bearer-9" } } });
    expect(await resolver.forRegistry("r.example")).toEqual({ serveraddress: "r.example", identitytoken: "refresh-123" });
    expect(await resolver.forRegistry("t.example")).toEqual({ serveraddress: "t.example", registrytoken: "bearer-9" });
  });

  it("takes an empty entry (left by docker login with a credsStore) as no credentials", async () => {
    const { resolver } = resolverFor({ auths: { "r.example": {} } });
    expect(await resolver.forRegistry("r.example")).toBeUndefined();
  });

  it("has nothing without a config file", async () => {
    const resolver = new CredentialResolver({ loadConfig: () => undefined });
    expect(await resolver.forImage("busybox")).toBeUndefined();
    expect(await CredentialResolver.none().forImage("x.example/app")).toBeUndefined();
  });

  it("reports a malformed auth without quoting it", async () => {
    const { resolver } = resolverFor({ auths: { "r.example": { auth: b64("no-colon-secret") } } });
    const err = await resolver.forRegistry("r.example").catch((e) => e);
    expect(err).toBeInstanceOf(DockerConfigError);
    expect(err.message).toContain('"auths" entry "r.example"');
    expect(err.message).not.toContain("no-colon-secret");
    expect(err.message).not.toContain(b64("no-colon-secret"));
  });

  it("reports malformed config.json without quoting its contents", async () => {
    const { resolver } = resolverFor('{"auths":{"r.example":{"auth":"c2VjcmV0"}}');
    const err = await resolver.forRegistry("r.example").catch((e) => e);
    expect(err).toBeInstanceOf(DockerConfigError);
    expect(err.message).toContain("/home/u/.docker/config.json is not valid JSON");
    expect(err.message).not.toContain("c2VjcmV0");
    const wrongType = await resolverFor({ auths: { "r.example": { auth: 42 } } }).resolver.forRegistry("r.example").catch((e) => e);
    expect(wrongType.message).toContain('"auths" entry "r.example" has a non-string "auth"');
  });
});

describe("CredentialResolver: helpers", () => {
  it("credHelpers wins for its registry and gets the registry on stdin", async () => {
    const { resolver, calls } = resolverFor(
      { auths: { "r.example": { auth: b64("file:file") } }, credHelpers: { "r.example": "vault" }, credsStore: "desktop" },
      { vault: (registry) => ok({ ServerURL: registry, Username: "helper-user", Secret: "helper-secret" }) },
    );
    expect(await resolver.forImage("r.example/app")).toEqual({ serveraddress: "r.example", username: "helper-user", password: "helper-secret" });
    expect(calls).toEqual([["vault", "r.example"]]);
  });

  it("credsStore serves registries without a credHelpers entry, Docker Hub under its v1 key", async () => {
    const { resolver, calls } = resolverFor(
      { credsStore: "desktop", credHelpers: { "other.example": "vault" } },
      { desktop: () => ok({ ServerURL: "https://index.docker.io/v1/", Username: "<token>", Secret: "identity-token" }) },
    );
    expect(await resolver.forImage("busybox")).toEqual({ serveraddress: "https://index.docker.io/v1/", identitytoken: "identity-token" });
    expect(calls).toEqual([["desktop", "https://index.docker.io/v1/"]]);
  });

  it("falls back to auths when the helper knows nothing", async () => {
    const { resolver } = resolverFor(
      { auths: { "r.example": { auth: b64("file:pw") } }, credsStore: "desktop" },
      { desktop: () => ({ exitCode: 1, stdout: "credentials not found in native keychain\n", stderr: "" }) },
    );
    expect(await resolver.forRegistry("r.example")).toMatchObject({ username: "file", password: "pw" });
  });

  it("reports a failing helper with its message, and a helper that cannot run", async () => {
    const failing = resolverFor({ credsStore: "broken" }, { broken: () => ({ exitCode: 2, stdout: "", stderr: "keychain locked\n" }) });
    const err = await failing.resolver.forRegistry("r.example").catch((e) => e);
    expect(err).toBeInstanceOf(DockerConfigError);
    expect(err.message).toBe("The credential helper docker-credential-broken failed for r.example (exit code 2): keychain locked");
    const missing = await resolverFor({ credsStore: "absent" }).resolver.forRegistry("r.example").catch((e) => e);
    expect(missing.message).toContain("Cannot run the credential helper docker-credential-absent for r.example: spawn docker-credential-absent ENOENT");
  });

  it("reports a helper answering with something other than JSON, without quoting it", async () => {
    const { resolver } = resolverFor({ credsStore: "odd" }, { odd: () => ({ exitCode: 0, stdout: "secret-ish output", stderr: "" }) });
    const err = await resolver.forRegistry("r.example").catch((e) => e);
    expect(err.message).toContain("docker-credential-odd answered for r.example with something other than JSON");
    expect(err.message).not.toContain("secret-ish");
  });

  it("refuses helper names that are paths", async () => {
    const { resolver, calls } = resolverFor({ credsStore: "../../tmp/x" });
    await expect(resolver.forRegistry("r.example")).rejects.toThrow(/not valid/);
    expect(calls).toEqual([]);
  });

  it("all() collects every registry's credentials for a build", async () => {
    const { resolver } = resolverFor(
      { auths: { "a.example": { auth: b64("a:1") }, "https://index.docker.io/v1/": { auth: b64("h:2") } }, credHelpers: { "b.example": "vault" } },
      { vault: () => ok({ Username: "b", Secret: "3" }) },
    );
    expect(await resolver.all()).toEqual({
      "a.example": { serveraddress: "a.example", username: "a", password: "1" },
      "https://index.docker.io/v1/": { serveraddress: "https://index.docker.io/v1/", username: "h", password: "2" },
      "b.example": { serveraddress: "b.example", username: "b", password: "3" },
    });
  });

  it("credentials given in code win over the config", async () => {
    const resolver = CredentialResolver.of({ "docker.io": { username: "code", password: "pw" } });
    expect(await resolver.forImage("busybox")).toEqual({ serveraddress: "https://index.docker.io/v1/", username: "code", password: "pw" });
  });
});
