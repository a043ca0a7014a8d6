// config.json's proxies and detachKeys, and the context store's writes, on fake files and a
// mocked engine: what the Docker CLI does with them, and no secret in any message.
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { DockerConfigError } from "../../src/errors/errors.ts";
import { BASE, mockedEngine } from "./mocked-engine.ts";
import { loadDockerConfig, type DockerConfigFile } from "../../src/server/config/config-file.ts";
import { ContextStore, type ContextStoreFs } from "../../src/server/config/contexts.ts";
import { proxyVariables, withProxyEnv } from "../../src/config/proxies.ts";
import { sha256Hex } from "../../src/server/config/sha256.ts";

const { server, docker } = mockedEngine();

const SECRET = "http://me:pa55word@proxy.example:3128";

function memoryFs(files: Record<string, string> = {}): ContextStoreFs & { files: Record<string, string> } {
  return {
    files,
    home: "/home/u",
    readText: (path) => files[path],
    mkdir: () => {},
    writeText: (path, text) => void (files[path] = text),
    rename(from, to) {
      files[to] = files[from]!;
      delete files[from];
    },
    remove(path) {
      for (const name of Object.keys(files)) if (name === path || name.startsWith(`${path}/`)) delete files[name];
    },
    list: (path) => [...new Set(Object.keys(files).filter((f) => f.startsWith(`${path}/`)).map((f) => f.slice(path.length + 1).split("/")[0]!))],
  };
}

describe("config.json proxies", () => {
  const config: DockerConfigFile = {
    proxies: {
      default: { httpProxy: SECRET, noProxy: "localhost", ftpProxy: "" },
      "tcp://remote.example:2375": { httpsProxy: "http://remote-proxy" },
    },
  };

  it("the engine's own entry, else default, upper and lower case, empty values left out", () => {
    expect(proxyVariables(config, "unix:///var/run/docker.sock")).toEqual({ HTTP_PROXY: SECRET, http_proxy: SECRET, NO_PROXY: "localhost", no_proxy: "localhost" });
    // The CLI keys entries by DOCKER_HOST (tcp://); the connection's address says http://.
    expect(proxyVariables(config, "http://remote.example:2375")).toEqual({ HTTPS_PROXY: "http://remote-proxy", https_proxy: "http://remote-proxy" });
    expect(proxyVariables({}, "unix:///x")).toEqual({});
  });

  it("only names the caller did not set are added", () => {
    expect(withProxyEnv(["HTTP_PROXY=mine", "A=1", "no_proxy"], { HTTP_PROXY: "p", http_proxy: "p", no_proxy: "n" })).toEqual(["HTTP_PROXY=mine", "A=1", "no_proxy", "http_proxy=p"]);
    expect(withProxyEnv(undefined, {})).toBeUndefined();
  });

  it("a malformed proxies entry names the key, never the value", () => {
    const fs = memoryFs({ "/cfg/config.json": JSON.stringify({ proxies: { default: { httpProxy: SECRET, noProxy: 5 } } }) });
    const err = (() => {
      try {
        loadDockerConfig({ DOCKER_CONFIG: "/cfg" }, fs);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(DockerConfigError);
    expect(err!.message).toMatch(/"proxies" entry "default" has a non-string "noProxy"/);
    expect(err!.message).not.toContain("pa55word");
  });

  it("create() adds them to Env unless useConfigProxy: false; an exec with stdin takes detachKeys", async () => {
    const bodies: Record<string, unknown>[] = [];
    server.use(
      http.post(`${BASE}/v1.41/containers/create`, async ({ request }) => {
        bodies.push((await request.json()) as Record<string, unknown>);
        return HttpResponse.json({ Id: "c1" }, { status: 201 });
      }),
      http.post(`${BASE}/v1.41/containers/c1/exec`, async ({ request }) => {
        bodies.push((await request.json()) as Record<string, unknown>);
        return HttpResponse.json({ Id: "e1" }, { status: 201 });
      }),
      http.get(`${BASE}/v1.41/containers/c1/json`, () => HttpResponse.json({ Id: "c1", Name: "/n" })),
    );
    let reads = 0;
    const configured = docker({ dockerConfig: () => (reads++, { ...config, detachKeys: "ctrl-x,x" }) });
    await configured.containers.create({ Image: "busybox", Env: ["A=1"] });
    await configured.containers.create({ Image: "busybox" }, { useConfigProxy: false });
    await configured.containers.ref("c1").createExec(["cat"], { stdin: true });
    await configured.containers.ref("c1").createExec(["true"]);
    expect(bodies.map((b) => b.Env ?? b.DetachKeys ?? null)).toEqual([["A=1", `HTTP_PROXY=${SECRET}`, `http_proxy=${SECRET}`, "NO_PROXY=localhost", "no_proxy=localhost"], null, "ctrl-x,x", null]);
    expect(reads).toBe(1); // read once, as the CLI reads it once per run
  });
});

describe("ContextStore", () => {
  it("writes the CLI's meta.json, TLS files and config.json, keeping the file's other keys", () => {
    const fs = memoryFs({ "/cfg/config.json": JSON.stringify({ auths: { r: { auth: "eDp5" } } }) });
    const store = new ContextStore({ DOCKER_CONFIG: "/cfg" }, fs);
    const info = store.create("prod", { host: "tcp://10.0.0.5:2376", tls: { ca: "CA", cert: "CERT", key: "KEY" } });
    expect(info).toEqual({ name: "prod", description: "", host: "tcp://10.0.0.5:2376", tls: { ca: true, cert: true, key: true }, current: false });
    const id = sha256Hex("prod");
    expect(JSON.parse(fs.files[`/cfg/contexts/meta/${id}/meta.json`]!)).toEqual({ Name: "prod", Metadata: {}, Endpoints: { docker: { Host: "tcp://10.0.0.5:2376", SkipTLSVerify: false } } });
    expect(fs.files[`/cfg/contexts/tls/${id}/docker/key.pem`]).toBe("KEY");
    store.use("prod");
    expect(JSON.parse(fs.files["/cfg/config.json"]!)).toEqual({ auths: { r: { auth: "eDp5" } }, currentContext: "prod" });
    expect(Object.keys(fs.files).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    store.remove("prod", { force: true });
    expect(Object.keys(fs.files)).toEqual(["/cfg/config.json"]);
    expect(JSON.parse(fs.files["/cfg/config.json"]!)).toEqual({ auths: { r: { auth: "eDp5" } } });
  });

  it.each([
    [(s: ContextStore) => s.create("x", { host: "tcp://a:1" }), /"x" is not a context name/],
    [(s: ContextStore) => s.create("ok", { host: "tcp://me:hunter2@a:1" }), /me:\*\*\*@a:1.*a password in the address is not supported/],
    [(s: ContextStore) => s.create("ok", { host: "tcp://a:1", tls: { cert: "C" } }), /needs both tls\.cert and tls\.key/],
    [(s: ContextStore) => s.create("ok", undefined as never), /needs \{ host \}/],
    [(s: ContextStore) => s.remove("default"), /cannot be removed/],
    [(s: ContextStore) => s.use("missing"), /No such context "missing"/],
    [(s: ContextStore) => s.remove("missing"), /No such context "missing"/],
  ])("refuses a wrong argument with a DockerConfigError, writing nothing (%#)", (call, why) => {
    const fs = memoryFs();
    const err = (() => {
      try {
        call(new ContextStore({ DOCKER_CONFIG: "/cfg" }, fs));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(DockerConfigError);
    expect(err!.message).toMatch(why);
    expect(err!.message).not.toContain("hunter2");
    expect(fs.files).toEqual({});
  });
});
