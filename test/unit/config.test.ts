// Endpoint resolution from the environment, config.json and the context store, on a fake file
// system: every variable, the precedence between them, and malformed values.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DockerConfigError } from "../../src/errors/errors.ts";
import { joinPath, type ConfigFs } from "../../src/server/config/config-file.ts";
import { currentContextName, resolveEndpoint } from "../../src/server/config/resolve.ts";
import { sha256Hex } from "../../src/server/config/sha256.ts";

const CA = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";

function fakeFs(files: Record<string, string>, home = "/home/u"): ConfigFs & { reads: string[] } {
  const reads: string[] = [];
  return {
    home,
    reads,
    readText(path) {
      reads.push(path);
      if (path in files) return files[path];
      if (path.startsWith("/unreadable")) throw new Error(`EACCES: permission denied, open '${path}'`);
      return undefined;
    },
  };
}

const id = (name: string) => createHash("sha256").update(name).digest("hex");

function context(dir: string, name: string, docker: Record<string, unknown>, tls?: { ca?: string; cert?: string; key?: string }) {
  const files: Record<string, string> = {
    [`${dir}/contexts/meta/${id(name)}/meta.json`]: JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker } }),
  };
  for (const [file, text] of Object.entries(tls ?? {})) files[`${dir}/contexts/tls/${id(name)}/docker/${file}.pem`] = text;
  return files;
}

function configError(fn: () => unknown): DockerConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DockerConfigError);
    return err as DockerConfigError;
  }
  throw new Error("expected a DockerConfigError");
}

describe("sha256Hex", () => {
  it.each(["", "abc", "my-ctx", "x".repeat(55), "y".repeat(56), "z".repeat(64), "é∑ context ✓".repeat(20)])("matches node:crypto for %j", (text) => {
    expect(sha256Hex(text)).toBe(id(text));
  });

  it("matches the directory name the Docker CLI gives the context my-ctx", () => {
    expect(sha256Hex("my-ctx")).toBe("2e949dbc66d8e770bad3c1d483a32c09f47684977c5793624a441c886e9d1abb");
  });
});

describe("joinPath", () => {
  it("joins with single slashes", () => {
    expect(joinPath("/", ".docker")).toBe("/.docker");
    expect(joinPath("/home/u/", "/.docker/", "config.json")).toBe("/home/u/.docker/config.json");
    expect(joinPath("C:\\Users\\u", ".docker")).toBe("C:\\Users\\u/.docker");
  });
});

describe("resolveEndpoint: the default context", () => {
  it("uses the unix socket when nothing is set", () => {
    const e = resolveEndpoint({}, fakeFs({}));
    expect(e).toEqual({ host: { kind: "unix", path: "/var/run/docker.sock" }, source: "default", context: "default" });
  });

  it("uses the docker_engine pipe on Windows", () => {
    expect(resolveEndpoint({}, fakeFs({}), { platform: "win32" }).host).toEqual({ kind: "npipe", path: "//./pipe/docker_engine" });
  });

  it.each([
    ["unix:///run/user/1000/docker.sock", { kind: "unix", path: "/run/user/1000/docker.sock" }],
    ["tcp://10.0.0.5:2375", { kind: "tcp", protocol: "http", hostname: "10.0.0.5", port: 2375 }],
    ["tcp://engine.local", { kind: "tcp", protocol: "http", hostname: "engine.local", port: 2375 }],
    ["http://[::1]:8080", { kind: "tcp", protocol: "http", hostname: "::1", port: 8080 }],
    ["https://engine.local", { kind: "tcp", protocol: "https", hostname: "engine.local", port: 2376 }],
    ["ssh://deploy@build-1:2200", { kind: "ssh", user: "deploy", hostname: "build-1", port: 2200 }],
    ["ssh://build-1", { kind: "ssh", user: undefined, hostname: "build-1", port: undefined }],
    ["npipe:////./pipe/docker_engine", { kind: "npipe", path: "//./pipe/docker_engine" }],
  ])("reads DOCKER_HOST=%s", (value, host) => {
    const e = resolveEndpoint({ DOCKER_HOST: value }, fakeFs({}));
    expect(e.host).toEqual(host);
    expect(e.source).toBe("DOCKER_HOST");
    expect(e.tls).toBeUndefined();
  });

  it.each([
    ["", undefined], // empty means unset
    ["ftp://x", 'DOCKER_HOST="ftp://x" is not a valid engine address: unsupported scheme "ftp://"'],
    ["tcp://host:99999", 'DOCKER_HOST="tcp://host:99999" is not a valid engine address: invalid port "99999"'],
    ["tcp://:2375", 'DOCKER_HOST="tcp://:2375" is not a valid engine address: the host name is missing'],
    ["localhost:2375", 'DOCKER_HOST="localhost:2375" is not a valid engine address'],
    ["unix://", 'DOCKER_HOST="unix://" is not a valid engine address: the socket path is missing'],
  ])("rejects the malformed DOCKER_HOST %j, quoting it", (value, message) => {
    if (message === undefined) {
      expect(resolveEndpoint({ DOCKER_HOST: value }, fakeFs({})).source).toBe("default");
      return;
    }
    expect(configError(() => resolveEndpoint({ DOCKER_HOST: value }, fakeFs({}))).message).toContain(message);
  });

  it("DOCKER_TLS_VERIFY makes tcp:// https on 2376 with the certificates of ~/.docker", () => {
    const fs = fakeFs({ "/home/u/.docker/ca.pem": CA, "/home/u/.docker/cert.pem": CERT, "/home/u/.docker/key.pem": KEY });
    const e = resolveEndpoint({ DOCKER_HOST: "tcp://engine", DOCKER_TLS_VERIFY: "1" }, fs);
    expect(e.host).toEqual({ kind: "tcp", protocol: "https", hostname: "engine", port: 2376 });
    expect(e.tls).toEqual({ ca: CA, cert: CERT, key: KEY });
  });

  it('takes any non-empty DOCKER_TLS_VERIFY as on, "0" included, as the CLI does', () => {
    const e = resolveEndpoint({ DOCKER_HOST: "tcp://engine:2376", DOCKER_TLS_VERIFY: "0" }, fakeFs({}));
    expect(e.host).toMatchObject({ protocol: "https", port: 2376 });
  });

  it("DOCKER_TLS_VERIFY upgrades an explicit http:// too: verification is never dropped", () => {
    const e = resolveEndpoint({ DOCKER_HOST: "http://engine:2376", DOCKER_TLS_VERIFY: "1" }, fakeFs({}));
    expect(e.host).toMatchObject({ protocol: "https" });
  });

  it("DOCKER_TLS (TLS without verification in the CLI) still gives TLS, verified", () => {
    const e = resolveEndpoint({ DOCKER_HOST: "tcp://engine", DOCKER_TLS: "1" }, fakeFs({ "/home/u/.docker/ca.pem": CA }));
    expect(e.host).toMatchObject({ protocol: "https", port: 2376 });
    expect(e.tls).toEqual({ ca: CA });
  });

  it("DOCKER_CERT_PATH points at the certificates; DOCKER_CONFIG moves the default one", () => {
    const fs = fakeFs({ "/certs/ca.pem": CA, "/certs/cert.pem": CERT, "/certs/key.pem": KEY, "/cfg/ca.pem": CA });
    expect(resolveEndpoint({ DOCKER_HOST: "tcp://e", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/certs" }, fs).tls).toEqual({ ca: CA, cert: CERT, key: KEY });
    expect(resolveEndpoint({ DOCKER_HOST: "tcp://e", DOCKER_TLS_VERIFY: "1", DOCKER_CONFIG: "/cfg" }, fs).tls).toEqual({ ca: CA });
  });

  it("without TLS files verifies against the system's CAs", () => {
    const e = resolveEndpoint({ DOCKER_HOST: "tcp://e", DOCKER_TLS_VERIFY: "1" }, fakeFs({}));
    expect(e.host).toMatchObject({ protocol: "https" });
    expect(e.tls).toBeUndefined();
  });

  it("an https:// DOCKER_HOST reads DOCKER_CERT_PATH even without DOCKER_TLS_VERIFY", () => {
    const e = resolveEndpoint({ DOCKER_HOST: "https://e:443", DOCKER_CERT_PATH: "/certs" }, fakeFs({ "/certs/ca.pem": CA }));
    expect(e.tls).toEqual({ ca: CA });
    expect(e.host).toMatchObject({ port: 443 });
  });

  it("ignores TLS variables for sockets and ssh", () => {
    const fs = fakeFs({ "/certs/ca.pem": CA });
    expect(resolveEndpoint({ DOCKER_HOST: "unix:///s.sock", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/certs" }, fs).tls).toBeUndefined();
    expect(resolveEndpoint({ DOCKER_HOST: "ssh://h", DOCKER_TLS_VERIFY: "1" }, fs).host.kind).toBe("ssh");
  });

  it("reports a DOCKER_CERT_PATH holding no certificates, quoting it", () => {
    const err = configError(() => resolveEndpoint({ DOCKER_HOST: "tcp://e", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/nowhere" }, fakeFs({})));
    expect(err.message).toBe('DOCKER_CERT_PATH="/nowhere" holds none of ca.pem, cert.pem, key.pem');
  });

  it("reports a certificate without its key, and a non-PEM file, without quoting contents", () => {
    const half = configError(() => resolveEndpoint({ DOCKER_HOST: "tcp://e", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/c" }, fakeFs({ "/c/cert.pem": CERT })));
    expect(half.message).toContain('DOCKER_CERT_PATH="/c" has cert.pem but no key.pem');
    const bad = configError(() =>
      resolveEndpoint({ DOCKER_HOST: "tcp://e", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/c" }, fakeFs({ "/c/cert.pem": CERT, "/c/key.pem": "hunter2-not-a-key" })),
    );
    expect(bad.message).toContain("/c/key.pem");
    expect(bad.message).toContain("is not a PEM file");
    expect(bad.message).not.toContain("hunter2");
  });

  it("reports an unreadable certificate with the path and the system's reason", () => {
    const err = configError(() => resolveEndpoint({ DOCKER_HOST: "tcp://e", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/unreadable" }, fakeFs({})));
    expect(err.message).toContain("/unreadable/ca.pem");
    expect(err.message).toContain("EACCES");
  });
});

describe("resolveEndpoint: DOCKER_API_VERSION", () => {
  it("pins the version, with or without a leading v", () => {
    expect(resolveEndpoint({ DOCKER_API_VERSION: "1.41" }, fakeFs({})).version).toBe("1.41");
    expect(resolveEndpoint({ DOCKER_API_VERSION: "v1.43" }, fakeFs({})).version).toBe("1.43");
    expect(resolveEndpoint({ DOCKER_API_VERSION: "" }, fakeFs({})).version).toBeUndefined();
  });

  it.each(["abc", "1", "1.41.0", "latest"])("rejects %j, quoting it and the variable", (value) => {
    const err = configError(() => resolveEndpoint({ DOCKER_API_VERSION: value }, fakeFs({})));
    expect(err.message).toBe(`DOCKER_API_VERSION="${value}" is not an API version: expected a version like "1.41"`);
  });

  it("applies to contexts as well", () => {
    const fs = fakeFs(context("/home/u/.docker", "prod", { Host: "tcp://prod:2375" }));
    expect(resolveEndpoint({ DOCKER_CONTEXT: "prod", DOCKER_API_VERSION: "1.40" }, fs).version).toBe("1.40");
  });
});

describe("resolveEndpoint: contexts", () => {
  const dir = "/home/u/.docker";

  it("DOCKER_CONTEXT selects a context from the store", () => {
    const fs = fakeFs(context(dir, "prod", { Host: "tcp://prod.example:2375", SkipTLSVerify: false }));
    const e = resolveEndpoint({ DOCKER_CONTEXT: "prod" }, fs);
    expect(e).toEqual({ host: { kind: "tcp", protocol: "http", hostname: "prod.example", port: 2375 }, source: 'context "prod"', context: "prod" });
    expect(fs.reads).toContain(`${dir}/contexts/meta/${id("prod")}/meta.json`);
  });

  it("currentContext in config.json selects one when DOCKER_CONTEXT is unset", () => {
    const fs = fakeFs({ [`${dir}/config.json`]: JSON.stringify({ auths: {}, currentContext: "remote" }), ...context(dir, "remote", { Host: "ssh://me@box" }) });
    const e = resolveEndpoint({}, fs);
    expect(e.host).toEqual({ kind: "ssh", user: "me", hostname: "box", port: undefined });
    expect(e.context).toBe("remote");
  });

  it("context TLS material makes the endpoint https with the context's certificates", () => {
    const fs = fakeFs(context(dir, "secure", { Host: "tcp://10.1.1.1:2376" }, { ca: CA, cert: CERT, key: KEY }));
    const e = resolveEndpoint({ DOCKER_CONTEXT: "secure" }, fs);
    expect(e.host).toEqual({ kind: "tcp", protocol: "https", hostname: "10.1.1.1", port: 2376 });
    expect(e.tls).toEqual({ ca: CA, cert: CERT, key: KEY });
  });

  it("DOCKER_CONFIG moves the context store and config.json", () => {
    const fs = fakeFs({ "/cfg/config.json": '{"currentContext":"cfg-a"}', ...context("/cfg", "cfg-a", { Host: "unix:///a.sock" }) });
    expect(resolveEndpoint({ DOCKER_CONFIG: "/cfg" }, fs).host).toEqual({ kind: "unix", path: "/a.sock" });
  });

  it("precedence: DOCKER_HOST > DOCKER_CONTEXT > currentContext > default; an explicit context beats them all", () => {
    const files = {
      [`${dir}/config.json`]: '{"currentContext":"cur"}',
      ...context(dir, "cur", { Host: "unix:///cur.sock" }),
      ...context(dir, "env", { Host: "unix:///env.sock" }),
      ...context(dir, "arg", { Host: "unix:///arg.sock" }),
    };
    const fs = fakeFs(files);
    const path = (e: { host: unknown }) => (e.host as { path: string }).path;
    expect(path(resolveEndpoint({ DOCKER_HOST: "unix:///host.sock", DOCKER_CONTEXT: "env" }, fs))).toBe("/host.sock");
    expect(path(resolveEndpoint({ DOCKER_CONTEXT: "env" }, fs))).toBe("/env.sock");
    expect(path(resolveEndpoint({}, fs))).toBe("/cur.sock");
    expect(path(resolveEndpoint({ DOCKER_HOST: "unix:///host.sock", DOCKER_CONTEXT: "env" }, fs, { context: "arg" }))).toBe("/arg.sock");
    expect(path(resolveEndpoint({}, fakeFs({})))).toBe("/var/run/docker.sock");
  });

  it('the context named "default" is DOCKER_HOST or the platform default', () => {
    const fs = fakeFs({ [`${dir}/config.json`]: '{"currentContext":"default"}' });
    expect(resolveEndpoint({}, fs).source).toBe("default");
    expect(resolveEndpoint({ DOCKER_HOST: "tcp://h:1" }, fs, { context: "default" }).source).toBe("DOCKER_HOST");
  });

  it("currentContextName ignores DOCKER_HOST", () => {
    const fs = fakeFs({ [`${dir}/config.json`]: '{"currentContext":"cur"}' });
    expect(currentContextName({ DOCKER_HOST: "tcp://h:1" }, fs)).toEqual({ name: "cur", via: `"currentContext" in ${dir}/config.json` });
    expect(currentContextName({ DOCKER_CONTEXT: "x" }, fs)).toEqual({ name: "x", via: "DOCKER_CONTEXT" });
    expect(currentContextName({}, fakeFs({}))).toEqual({ name: "default", via: "default" });
  });

  it("reports an unknown context, quoting DOCKER_CONTEXT", () => {
    const err = configError(() => resolveEndpoint({ DOCKER_CONTEXT: "nope" }, fakeFs({})));
    expect(err.message).toContain('DOCKER_CONTEXT="nope": no such context');
    expect(err.message).toContain(`${dir}/contexts/meta/${id("nope")}/meta.json`);
  });

  it("reports an unknown current context, naming config.json", () => {
    const err = configError(() => resolveEndpoint({}, fakeFs({ [`${dir}/config.json`]: '{"currentContext":"gone"}' })));
    expect(err.message).toContain(`context "gone" (from "currentContext" in ${dir}/config.json): no such context`);
  });

  it.each(["../etc", "-x", "a/b", "x"])("rejects the context name %j", (name) => {
    const err = configError(() => resolveEndpoint({ DOCKER_CONTEXT: name }, fakeFs({})));
    expect(err.message).toContain(`DOCKER_CONTEXT="${name}" is not a valid context name`);
  });

  it("refuses a context that turns TLS verification off", () => {
    const fs = fakeFs(context(dir, "lax", { Host: "tcp://h:2376", SkipTLSVerify: true }));
    expect(configError(() => resolveEndpoint({ DOCKER_CONTEXT: "lax" }, fs)).message).toContain('Context "lax" turns TLS verification off');
  });

  it("reports a context without a Docker endpoint, a malformed Host, and broken JSON", () => {
    const noHost = fakeFs(context(dir, "empty", {}));
    expect(configError(() => resolveEndpoint({ DOCKER_CONTEXT: "empty" }, noHost)).message).toContain("lacks Endpoints.docker.Host");
    const badHost = fakeFs(context(dir, "bad", { Host: "tcp://h:notaport" }));
    expect(configError(() => resolveEndpoint({ DOCKER_CONTEXT: "bad" }, badHost)).message).toBe(
      'Context "bad" Host="tcp://h:notaport" is not a valid engine address: invalid port "notaport"',
    );
    const broken = fakeFs({ [`${dir}/contexts/meta/${id("broken")}/meta.json`]: "{nope" });
    expect(configError(() => resolveEndpoint({ DOCKER_CONTEXT: "broken" }, broken)).message).toMatch(/The metadata of context "broken" .*meta\.json is not valid JSON/);
  });

  it("reports broken config.json without quoting its contents", () => {
    const fs = fakeFs({ [`${dir}/config.json`]: '{"auths":{"r":{"auth":"c2VjcmV0LXBhc3N3b3Jk"}}, oops' });
    const err = configError(() => resolveEndpoint({}, fs));
    expect(err.message).toMatch(/^The Docker config file \/home\/u\/\.docker\/config\.json is not valid JSON/);
    expect(err.message).not.toContain("c2VjcmV0");
  });

  it("does not let a malformed auths entry stop connecting", () => {
    const fs = fakeFs({ [`${dir}/config.json`]: '{"auths":{"r":42},"currentContext":""}' });
    expect(resolveEndpoint({}, fs).source).toBe("default");
  });

  it("reports a non-string currentContext", () => {
    const fs = fakeFs({ [`${dir}/config.json`]: '{"currentContext":7}' });
    expect(configError(() => resolveEndpoint({}, fs)).message).toContain('"currentContext" must be a string');
  });
});

describe("Node: Docker.fromEnv / fromContext / constructor", async () => {
  const { Docker } = await import("berth-docker");
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");

  it("follows DOCKER_HOST, upgrading to https with DOCKER_TLS_VERIFY", async () => {
    const plain = Docker.fromEnv({ env: { DOCKER_HOST: "tcp://10.9.8.7:2375" } });
    expect(plain.address).toBe("http://10.9.8.7:2375");
    const dir = mkdtempSync(join(tmpdir(), "berth-certs-"));
    writeFileSync(join(dir, "ca.pem"), CA);
    const tls = Docker.fromEnv({ env: { DOCKER_HOST: "tcp://10.9.8.7", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir } });
    expect(tls.address).toBe("https://10.9.8.7:2376");
    expect(Docker.fromEnv({ env: { DOCKER_HOST: "ssh://me@box:2200" } }).address).toBe("ssh://me@box:2200");
    expect(Docker.fromEnv({ env: {} }).address).toBe(process.platform === "win32" ? "npipe:////./pipe/docker_engine" : "unix:///var/run/docker.sock");
    rmSync(dir, { recursive: true });
    await Promise.all([plain.close(), tls.close()]);
  });

  it("pins DOCKER_API_VERSION, and explicit options win over the environment", async () => {
    const pinned = Docker.fromEnv({ env: { DOCKER_API_VERSION: "1.41" } });
    expect(await pinned.apiVersion()).toBe("1.41");
    const explicit = Docker.fromEnv({ env: { DOCKER_HOST: "tcp://ignored:1", DOCKER_API_VERSION: "1.41" }, host: "unix:///other.sock", version: "1.43" });
    expect(explicit.address).toBe("unix:///other.sock");
    expect(await explicit.apiVersion()).toBe("1.43");
  });

  it("gives build sessions the environment it was given: `ssh: true` and `{ env }` secrets read it, not the process's", () => {
    const previous = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = "/tmp/agent-of-the-process.sock";
    try {
      const given = Docker.fromEnv({ env: { SSH_AUTH_SOCK: "/tmp/agent-of-env.sock", TOKEN: "t" } });
      expect(given.client.sessionHost?.env("SSH_AUTH_SOCK")).toBe("/tmp/agent-of-env.sock");
      expect(given.client.sessionHost?.env("TOKEN")).toBe("t");
      expect(Docker.fromEnv({ env: {}, socketPath: "/x.sock" }).client.sessionHost?.env("SSH_AUTH_SOCK")).toBeUndefined();
      expect(new Docker().client.sessionHost?.env("SSH_AUTH_SOCK")).toBe("/tmp/agent-of-the-process.sock");
    } finally {
      if (previous === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = previous;
    }
  });

  it("throws DockerConfigError for malformed variables, quoting them", () => {
    expect(() => Docker.fromEnv({ env: { DOCKER_HOST: "bogus://x" } })).toThrow(new DockerConfigError('DOCKER_HOST="bogus://x" is not a valid engine address: unsupported scheme "bogus://"'));
    expect(() => Docker.fromEnv({ env: { DOCKER_API_VERSION: "x" } })).toThrow(/DOCKER_API_VERSION="x"/);
  });

  it("reads contexts from DOCKER_CONFIG on disk (fromContext wins over DOCKER_HOST)", () => {
    const config = mkdtempSync(join(tmpdir(), "berth-config-"));
    const meta = join(config, "contexts", "meta", id("disk-ctx"));
    mkdirSync(meta, { recursive: true });
    writeFileSync(join(meta, "meta.json"), JSON.stringify({ Name: "disk-ctx", Endpoints: { docker: { Host: "tcp://ctx.example:2375" } } }));
    writeFileSync(join(config, "config.json"), JSON.stringify({ currentContext: "disk-ctx" }));
    expect(Docker.fromContext("disk-ctx", { env: { DOCKER_CONFIG: config, DOCKER_HOST: "tcp://env:1" } }).address).toBe("http://ctx.example:2375");
    expect(Docker.fromContext(undefined, { env: { DOCKER_CONFIG: config, DOCKER_HOST: "tcp://env:1" } }).address).toBe("http://ctx.example:2375");
    expect(Docker.fromEnv({ env: { DOCKER_CONFIG: config } }).address).toBe("http://ctx.example:2375");
    expect(Docker.fromEnv({ env: { DOCKER_CONFIG: config, DOCKER_HOST: "tcp://env:1" } }).address).toBe("http://env:1");
    expect(() => Docker.fromContext("missing-ctx", { env: { DOCKER_CONFIG: config } })).toThrow(/no such context/);
    rmSync(config, { recursive: true });
  });

  it("the constructor treats tls as TLS, even with an http:// address", () => {
    expect(new Docker({ host: "tcp://h", tls: { ca: CA } }).address).toBe("https://h:2376");
    expect(new Docker({ host: "http://h:2375", tls: { ca: CA } }).address).toBe("https://h:2375");
    expect(new Docker({ socketPath: "/tmp/x.sock" }).address).toBe("unix:///tmp/x.sock");
  });
});
