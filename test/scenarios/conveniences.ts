// The conveniences docker-py and CLI users reach for: handles that carry what the engine said,
// output as bytes, run() streaming and pulling with progress, images loaded and pulled by tag,
// builds with resource limits, config.json's proxies and detachKeys, and contexts written.

import { DockerConfigError, DockerNotFoundError, DockerUnsupportedError } from "../../src/errors/errors.ts";
import { collectBytes } from "../../src/streams/bytes.ts";
import { tarBytes } from "../../src/streams/tar-lazy.ts";
import type { Docker } from "../../src/docker.ts";
import { assert } from "./assert.ts";
import type { Scenario } from "./context.ts";
import { requireRegistry } from "./images.ts";

/** Polls `check` until it holds; fails with `what` after `ms` (a bound on a hang, not a timing). */
async function eventually(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Every byte value, and sequences that are not UTF-8: text decoding would mangle them. */
/**
 * An image name without the prefixes Podman adds to a short name (`localhost/` for a loaded
 * image, `docker.io/library/` for one tagged through the API: docs/podman.md).
 */
const shortName = (reference: string | undefined): string => (reference ?? "").replace(/^(localhost|docker\.io\/library)\//, "");

const BINARY = new Uint8Array([...Array.from({ length: 256 }, (_, i) => i), 0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0x00, 0x80]);

export const convenienceScenarios: Scenario[] = [
  {
    name: "handles: networks.create() fills attrs; info and summary type inspect and list attrs; a network's containers, an image's tags",
    async run({ docker, assert, image, labels, name, container, defer }) {
      const netName = name("net");
      const network = await docker.networks.create({ Name: netName, Labels: labels });
      defer(() => network.remove());
      assert.equal(network.name, netName, "name known without reload()");
      assert.equal(network.info?.Labels?.["berth.test"], "1");
      assert.equal(network.summary, undefined, "an inspect is no list item");

      const c = await container({ Cmd: ["sleep", "600"], HostConfig: { NetworkMode: netName } });
      defer(() => c.remove({ force: true }));
      await c.start();
      assert.equal(c.info?.Config?.Cmd, ["sleep", "600"], "a created container's inspect attrs, typed");
      await network.reload();
      assert.equal(network.containers.map((e) => e.id), [c.id]);
      assert.match(network.containers[0]!.ipv4Address, /^\d+\.\d+\.\d+\.\d+\/\d+$/);

      const [listed] = await docker.networks.list({ filters: { name: [netName] } });
      assert.equal([listed?.info, listed?.summary?.Name, listed?.containers], [undefined, netName, []]);
      const [item] = await docker.containers.list({ filters: { id: [c.id] } });
      assert.equal([item?.info, item?.summary?.Names], [undefined, [`/${c.name}`]]);

      const img = await docker.images.get(image);
      assert.ok(img.tags.map(shortName).includes(image), `${image} in ${img.tags}`);
      assert.equal(img.info?.Id, img.id);
      await c.kill();
    },
  },
  {
    name: "exec and run collect output as bytes with { encoding: \"bytes\" }: a binary file round-trips exactly",
    async run({ docker, assert, image, labels, container }) {
      const c = await container({ Cmd: ["sleep", "600"] });
      await c.start();
      await c.writeFile("/data.bin", BINARY);
      const out = await c.exec(["cat", "/data.bin"], { encoding: "bytes" });
      assert.equal(out, { exitCode: 0, stdout: BINARY, stderr: new Uint8Array(0) });
      const err = await c.exec(["sh", "-c", "cat /data.bin >&2"], { encoding: "bytes" });
      assert.equal(err.stderr, BINARY);
      const text = await c.exec(["cat", "/data.bin"]);
      assert.ok(text.stdout.includes("\uFFFD"), "as text the same bytes are not kept");
      await assert.rejects(c.exec(["true"], { encoding: "latin1" as "bytes" }), DockerConfigError);

      // run() attaches before the start: the bytes as written, binary ones too.
      const ran = await docker.containers.run(image, ["printf", "\\000\\001\\r\\303\\251\\377\\376\\n"], { encoding: "bytes", config: { Labels: labels } });
      assert.equal(ran.stdout, new Uint8Array([0x00, 0x01, 0x0d, 0xc3, 0xa9, 0xff, 0xfe, 0x0a]));
      await c.kill();
    },
  },
  {
    name: "run({ stream: true }) gives the output while it runs and the exit code; remove: false keeps a collected run's container",
    async run({ docker, assert, image, labels }) {
      const { container, output, exitCode } = await docker.containers.run(image, ["sh", "-c", "echo one; sleep 0.2; echo two >&2; exit 5"], { stream: true, config: { Labels: labels } });
      const lines: string[] = [];
      for await (const l of output.lines()) lines.push(`${l.stream}:${l.line}`);
      assert.equal(lines.sort(), ["stderr:two", "stdout:one"]);
      assert.equal(await exitCode, 5, "the exit code, not an error");
      await eventually(20_000, "removal of the streamed run's container", () => container.inspect().then(() => false, (err) => err instanceof DockerNotFoundError));

      const kept = await docker.containers.run(image, ["echo", "kept"], { remove: false, config: { Labels: labels } });
      assert.equal((await kept.container.inspect()).State?.Status, "exited");
      await kept.container.remove();
      await assert.rejects(docker.containers.run(image, ["true"], { stream: true, detach: true }), DockerConfigError);
    },
  },
  {
    name: "run() pulls a missing image (only then), following it with onPullProgress",
    timeout: 120_000,
    async run(ctx) {
      const { docker, assert, registry, run, image, labels, defer } = ctx;
      await requireRegistry(ctx);
      const ref = `${registry}/berth-run-pull-${run}:v1`;
      await (await docker.images.get(image)).tag(ref);
      defer(() => docker.images.ref(ref).remove({ force: true }));
      await docker.images.ref(ref).push();
      await docker.images.ref(ref).remove();
      let events = 0;
      const first = await docker.containers.run(ref, ["echo", "pulled"], { onPullProgress: () => void events++, config: { Labels: labels } });
      assert.equal(first.stdout, "pulled\n");
      assert.ok(events > 0, "the pull reported progress");
      events = 0;
      await docker.containers.run(ref, ["true"], { onPullProgress: () => void events++, config: { Labels: labels } });
      assert.equal(events, 0, "an image that is there is not pulled");
    },
  },
  {
    name: "images: load() and import() take a file's path and resolve with what they made, import() a URL, pull({ allTags: true }) every tag",
    timeout: 120_000,
    async run(ctx) {
      const { docker, assert, image, run, labels, tempDir, defer } = ctx;
      const tag = `berth-load-${run}:v1`;
      const source = await docker.images.get(image);
      await source.tag(tag);
      defer(() => docker.images.ref(tag).remove({ force: true }));
      const saved = await collectBytes(await docker.images.ref(tag).save());
      await docker.images.ref(tag).remove();
      const rootfs = await tarBytes([{ name: "hello.txt", data: "imported\n" }]);
      const dir = await tempDir({ "saved.tar": saved, "rootfs.tar": rootfs });

      const loaded = await docker.images.load(`${dir}/saved.tar`);
      assert.equal(loaded.images.map((i) => shortName(i.reference)), [tag]);
      assert.equal(loaded.images[0]!.id, source.id);

      // An imported image carries the scenario's labels, so the cleanup finds it.
      const changes = Object.entries(labels).map(([k, v]) => `LABEL ${k}=${v}`);
      const readBack = async (ref: string) => {
        const c = await docker.containers.create({ Image: ref, Cmd: ["/none"], Labels: labels });
        try {
          return await c.readFile("/hello.txt", { encoding: "utf8" });
        } finally {
          await c.remove();
        }
      };
      await docker.images.import(`${dir}/rootfs.tar`, { repo: `berth-import-${run}`, tag: "file", changes });
      assert.equal(await readBack(`berth-import-${run}:file`), "imported\n");

      // From a URL: the engine downloads the tarball itself (here from a server of the scenario's).
      const server = await ctx.listen((conn) => {
        conn.onData(() => {
          conn.write(`HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: ${rootfs.length}\r\nConnection: close\r\n\r\n`);
          conn.write(rootfs);
          conn.end();
        });
      });
      await docker.images.import(`http://127.0.0.1:${server.port}/rootfs.tar`, { repo: `berth-import-${run}`, tag: "url", changes });
      assert.equal(await readBack(`berth-import-${run}:url`), "imported\n");

      await requireRegistry(ctx);
      const repo = `${ctx.registry}/berth-alltags-${run}`;
      for (const t of ["a", "b"]) {
        await source.tag(`${repo}:${t}`);
        defer(() => docker.images.ref(`${repo}:${t}`).remove({ force: true }));
        await docker.images.ref(`${repo}:${t}`).push();
        await docker.images.ref(`${repo}:${t}`).remove();
      }
      if (await docker.isPodman()) {
        // Podman's Docker API would pull only :latest: refused before any request, saying so.
        const refused = await assert.rejects(docker.images.pull(repo, { allTags: true }), DockerUnsupportedError);
        assert.match(refused.message, /pull each tag by name/);
        return;
      }
      const pulled = await docker.images.pull(repo, { allTags: true });
      assert.equal(pulled.map((i) => i.id), [source.id]);
      assert.ok([`${repo}:a`, `${repo}:b`].every((t) => pulled[0]!.tags.includes(t)), `both tags in ${pulled[0]!.tags}`);
    },
  },
  {
    name: "build: a gzip-compressed context on both builders; shmSize and memory in human sizes",
    timeout: 180_000,
    async run({ docker, assert, run, labels, image, defer, tempDir }) {
      const dir = await tempDir({ "Dockerfile": `FROM ${image}\nCOPY a.txt /a.txt\n`, "a.txt": `zipped ${run}\n` });
      // Podman builds every image with buildah, whichever builder is asked for.
      for (const builder of ["classic", "buildkit"] as const) {
        const tag = `berth-gzip-${builder}:${run}`;
        defer(() => docker.images.ref(tag).remove({ force: true }));
        await docker.images.build(dir, { builder, gzip: true, tag, labels, forceRm: true });
        assert.equal((await docker.containers.run(tag, ["cat", "/a.txt"], { config: { Labels: labels } })).stdout, `zipped ${run}\n`, builder);
      }
      // The classic builder runs each step in a container with these limits (BuildKit's steps take
      // neither from the API on dockerd).
      const tag = `berth-limits:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      const limits = "df -k /dev/shm | tail -1 | awk '{print $2}' > /shm; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null > /mem; true";
      await docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nRUN ${limits}\n` }], { builder: "classic", shmSize: "96m", memory: "700M", memswap: -1, tag, labels, forceRm: true });
      const seen = await docker.containers.run(tag, ["cat", "/shm", "/mem"], { config: { Labels: labels } });
      assert.equal(seen.stdout, `${96 * 1024}\n${700 * 1024 * 1024}\n`);
      await assert.rejects(docker.images.build([{ name: "Dockerfile", data: "FROM scratch\n" }], { shmSize: "lots" }), DockerConfigError);
    },
  },
  {
    name: "config.json: proxies go into run/create environments and build arguments, detachKeys is attach's default",
    timeout: 120_000,
    async run(ctx) {
      const { assert, image, labels, run, defer, tempDir } = ctx;
      const proxy = "http://user:s3cret@proxy.invalid:3128";
      const dir = await tempDir({
        "config.json": JSON.stringify({
          proxies: { default: { httpProxy: proxy, noProxy: "localhost,.internal" }, "tcp://elsewhere.invalid:2375": { httpProxy: "http://not-this-one" } },
          detachKeys: "ctrl-x,x",
        }),
      });
      const docker = ctx.fromEnv({ DOCKER_CONFIG: dir, DOCKER_HOST: ctx.env("DOCKER_HOST") });
      defer(() => docker.close());
      const envOf = async (options: { env?: Record<string, string>; useConfigProxy?: boolean } = {}) =>
        (await docker.containers.run(image, ["env"], { ...options, config: { Labels: labels } })).stdout.split("\n").filter((l) => /_proxy=/i.test(l)).sort();
      assert.equal(await envOf(), [`HTTP_PROXY=${proxy}`, "NO_PROXY=localhost,.internal", `http_proxy=${proxy}`, "no_proxy=localhost,.internal"]);
      assert.equal(await envOf({ env: { HTTP_PROXY: "http://mine" } }), ["HTTP_PROXY=http://mine", "NO_PROXY=localhost,.internal", `http_proxy=${proxy}`, "no_proxy=localhost,.internal"], "what the caller sets wins");
      assert.equal(await envOf({ useConfigProxy: false }), []);

      const tag = `berth-proxy:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      // The proxy variables are predefined build arguments: a RUN step sees them without ARG.
      await docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nRUN echo "$HTTP_PROXY $no_proxy" > /seen\n` }], { tag, labels, forceRm: true });
      assert.equal((await docker.containers.run(tag, ["cat", "/seen"], { config: { Labels: labels } })).stdout, `${proxy} localhost,.internal\n`);

      // ctrl-x then x detaches (config.json's detachKeys): the attach ends, the container runs on.
      const c = await docker.containers.create({ Image: image, Cmd: ["cat"], OpenStdin: true, Tty: true, Labels: labels });
      await c.start();
      const session = await c.attach({ stdin: true });
      await session.write(new Uint8Array([0x18, 0x78]));
      // Podman 4.3 does not act on detach keys in the API's attach (docs/podman.md): its session
      // goes on until closed. dockerd ends it.
      if (!(await docker.isPodman())) await session.output.text();
      session.close();
      assert.equal((await c.inspect()).State?.Running, true, "detached, not stopped");
      await c.remove({ force: true });
    },
  },
  {
    name: "contexts: create, inspect, list, use and remove in the CLI's files under a DOCKER_CONFIG of its own",
    async run(ctx) {
      const { assert, run, tempDir, defer } = ctx;
      // A config.json with credentials and other keys: use() must keep them as they are.
      const before = { auths: { "registry.invalid": { auth: "dXNlcjpzM2NyZXQ=" } }, detachKeys: "ctrl-x,x", psFormat: "table {{.ID}}" };
      const dir = await tempDir({ "config.json": JSON.stringify(before) });
      const env = { DOCKER_CONFIG: dir, DOCKER_HOST: undefined };
      const store = ctx.contexts(env);
      const host = ctx.env("DOCKER_HOST") || "unix:///var/run/docker.sock";
      const name = `berth-ctx-${run}`;
      assert.equal([store.current(), store.list().map((c) => c.name)], ["default", ["default"]]);

      const made = store.create(name, { host, description: "made by a scenario" });
      assert.equal(made, { name, description: "made by a scenario", host, tls: { ca: false, cert: false, key: false }, current: false });
      assert.equal(store.list().map((c) => c.name), ["default", name]);
      await assert.rejects(Promise.resolve().then(() => store.create(name, { host })), DockerConfigError, "exists already");
      await assert.rejects(Promise.resolve().then(() => store.create("default", { host })), DockerConfigError, "reserved");
      const secretHost = await assert.rejects(Promise.resolve().then(() => store.create("pw", { host: "tcp://me:hunter2@box:2375" })), DockerConfigError);
      assert.ok(!secretHost.message.includes("hunter2"), secretHost.message);

      // The files are the CLI's: berth's own reader (which reads what `docker context create` writes) connects through it.
      const named = ctx.fromEnv({ ...env, DOCKER_CONTEXT: name });
      defer(() => named.close());
      assert.equal(await named.ping(), "OK");

      store.use(name);
      assert.equal([store.current(), store.inspect().name, store.inspect(name).current], [name, name, true]);
      const current = ctx.fromEnv(env);
      assert.equal(await current.ping(), "OK");
      await keptKeys(current);
      await assert.rejects(Promise.resolve().then(() => store.remove(name)), DockerConfigError, "in use");
      store.remove(name, { force: true });
      assert.equal([store.current(), store.list().map((c) => c.name)], ["default", ["default"]]);
      await keptKeys(ctx.fromEnv(env));
      await assert.rejects(Promise.resolve().then(() => store.inspect(name)), DockerConfigError, "gone");
    },
  },
];

/** config.json's credentials and detachKeys as they were before use() and remove() rewrote it. */
async function keptKeys(docker: Docker): Promise<void> {
  try {
    const auth = await docker.credentials?.forImage("registry.invalid/app");
    assert.equal([auth?.username, auth?.password], ["user", "s3cret"], "the credentials kept");
    assert.equal(docker.client.dockerConfig()?.detachKeys, "ctrl-x,x", "detachKeys kept");
  } finally {
    await docker.close();
  }
}
