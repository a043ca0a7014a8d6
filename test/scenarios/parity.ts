// What users of docker-py and the Docker CLI rely on: run() with AutoRemove and unreadable log
// drivers, the exit error's command and image, dates with their milliseconds, attach replaying a
// stopped container's output, and an exec whose process could not start.

import { ContainerExitError, DockerConfigError, DockerHttpError, DockerNotFoundError, ExecStartError } from "../../src/errors/errors.ts";
import { Exec } from "../../src/resources/exec.ts";
import type { Scenario } from "./context.ts";

/** Rejects when `promise` has not settled within `ms`: a hang fails the scenario with a reason. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export const parityScenarios: Scenario[] = [
  {
    name: "run: an auto-removed container keeps its output, and its ContainerExitError names command, image and stdout",
    async run({ docker, assert, image, labels, name }) {
      const ok = await docker.containers.run(image, ["sh", "-c", "echo kept; echo also >&2"], { config: { Labels: labels, HostConfig: { AutoRemove: true } } });
      assert.equal([ok.exitCode, ok.stdout, ok.stderr], [0, "kept\n", "also\n"]);
      await assert.rejects(ok.container.inspect(), DockerNotFoundError, "the engine removed it");

      const failing = docker.containers.run(image, ["sh", "-c", "echo out; echo err >&2; exit 3"], { config: { Labels: labels, HostConfig: { AutoRemove: true } } });
      const err = await assert.rejects(failing, ContainerExitError);
      assert.equal([err.exitCode, err.stdout, err.stderr], [3, "out\n", "err\n"]);
      assert.match(err.message, new RegExp(`^Command 'sh -c "echo out; echo err >&2; exit 3"' in image '${image}' returned non-zero exit status 3`));
      assert.equal([err.command, err.image], [["sh", "-c", "echo out; echo err >&2; exit 3"], image]);
      await assert.rejects(docker.containers.ref(err.containerId).inspect(), DockerNotFoundError, "the engine removed it");

      // A start that fails leaves nothing behind (the engine removes it; berth does not try to).
      const never = name("never-started");
      await assert.rejects(docker.containers.run(image, ["/no-such-binary"], { name: never, config: { Labels: labels, HostConfig: { AutoRemove: true } } }), DockerHttpError);
      assert.equal(await docker.containers.list({ all: true, filters: { name: [never] } }), []);

      // Without AutoRemove: the same error, the shell form of the command named as given.
      const plain = await assert.rejects(docker.containers.run(image, "cat /no-such-file", { config: { Labels: labels } }), ContainerExitError);
      assert.match(plain.message, new RegExp(`^Command 'cat /no-such-file' in image '${image}' returned non-zero exit status 1: cat: can't open '/no-such-file'`));
    },
  },
  {
    name: "run: a log driver that cannot be read back still gives the output (attached before the start, as the CLI)",
    async run({ docker, assert, image, labels }) {
      const config = { Labels: labels, HostConfig: { LogConfig: { Type: "none" as const, Config: {} } } };
      const ok = await docker.containers.run(image, ["echo", "unreadable"], { config });
      assert.equal([ok.exitCode, ok.stdout, ok.stderr], [0, "unreadable\n", ""]);
      const err = await assert.rejects(docker.containers.run(image, ["sh", "-c", "echo x; echo y >&2; exit 4"], { config }), ContainerExitError);
      assert.equal([err.exitCode, err.stdout, err.stderr], [4, "x\n", "y\n"]);
    },
  },
  {
    name: "logs: a Date as since/until keeps its milliseconds",
    async run({ docker, assert, container }) {
      const c = await container({ Cmd: ["sh", "-c", "echo a; sleep 0.4; echo b"] });
      await c.start();
      await c.wait();
      const stamped: { line: string; timestamp?: Date }[] = [];
      for await (const l of (await c.logs({ timestamps: true })).lines()) stamped.push(l);
      assert.equal(stamped.map((l) => l.line), ["a", "b"]);
      // One millisecond after line a (whose nanoseconds the Date drops): a is before it, b after.
      const justAfterA = new Date(stamped[0]!.timestamp!.getTime() + 1);
      const since: string[] = [];
      for await (const l of (await c.logs({ since: justAfterA })).lines()) since.push(l.line);
      const until: string[] = [];
      for await (const l of (await c.logs({ until: justAfterA })).lines()) until.push(l.line);
      if (await docker.isPodman()) {
        // Podman stamps its lines to the second, so "just after a" is only known to the second:
        // a may fall on either side of it (berth sends the fraction to both engines); b never before.
        assert.equal([since.at(-1), until.includes("b")], ["b", false], `since ${since}, until ${until}`);
      } else {
        assert.equal(since, ["b"], "since");
        assert.equal(until, ["a"], "until");
      }
    },
  },
  {
    name: "attach({ logs: true, stream: false }) replays a stopped container's output and ends",
    async run({ assert, container }) {
      const c = await container({ Cmd: ["sh", "-c", "echo first; echo second >&2"] });
      await c.start();
      await c.wait();
      const session = await c.attach({ logs: true, stream: false });
      assert.equal(await within(20_000, "attach with stream: false", session.output.collect()), { stdout: "first\n", stderr: "second\n" });
    },
  },
  {
    name: "exec: a missing binary or user rejects with ExecStartError, not as the program's output",
    async run({ docker, assert, container }) {
      // dockerd writes the runtime's report into stdout (exit 126), Podman into stderr (exit 127).
      const podman = await docker.isPodman();
      const c = await container({ Cmd: ["sleep", "600"] });
      await c.start();
      const missing = await assert.rejects(c.exec(["no-such-binary"]), ExecStartError);
      assert.equal(missing.exitCode, podman ? 127 : 126);
      assert.match(missing.reason, podman ? /exec failed: .*"no-such-binary": executable file not found/ : /^OCI runtime exec failed: .*"no-such-binary": executable file not found/);
      assert.equal(missing.command, ["no-such-binary"]);
      if (!podman) {
        // Podman resolves an unknown user before the runtime starts: its own 500, not an exec report.
        const user = await assert.rejects(c.exec("true", { user: "no-such-user" }), ExecStartError);
        assert.match(user.reason, /unable to find user no-such-user/);
      }
      const tty = await assert.rejects(c.exec(["no-such-binary"], { tty: true }), ExecStartError);
      assert.match(tty.reason, /executable file not found/);
      // A program that itself prints such a line and exits 126 is just a program.
      const own = await c.exec(["sh", "-c", "printf 'OCI runtime exec failed: mine\\r\\n'; exit 126"]);
      assert.equal(own, { exitCode: 126, stdout: "OCI runtime exec failed: mine\r\n", stderr: "" });
      await c.kill();
    },
  },
  {
    name: "create() and run({ detach }) return handles whose attrs are filled (name, config, state)",
    async run({ docker, assert, image, labels, name, defer }) {
      const wanted = name("attrs");
      const created = await docker.containers.create({ Image: image, Cmd: ["sleep", "600"], Labels: labels }, { name: wanted });
      defer(() => created.remove({ force: true }));
      assert.equal(created.name, wanted);
      assert.equal((created.attrs as { State?: { Status?: string } }).State?.Status, "created");
      assert.equal((created.attrs as { Config?: { Cmd?: string[] } }).Config?.Cmd, ["sleep", "600"]);

      const detached = name("detached");
      const { container } = await docker.containers.run(image, ["sleep", "600"], { detach: true, name: detached, config: { Labels: labels } });
      defer(() => container.remove({ force: true }));
      assert.equal(container.name, detached);
      assert.equal((container.attrs as { State?: { Running?: boolean } }).State?.Running, true);
    },
  },
  {
    name: "readFile / writeFile: one file's bytes or text, its mode and owner, through symlinks",
    async run({ docker, assert, container }) {
      const c = await container({ Cmd: ["sleep", "600"] });
      await c.start();
      await c.exec(["mkdir", "/files"]);
      const bytes = new Uint8Array(300_000).map((_, i) => (i * 13 + (i >> 8)) % 256);
      await c.writeFile("/files/data.bin", bytes, { mode: 0o600, uid: 1234, gid: 99 });
      assert.equal(await c.readFile("/files/data.bin"), bytes);
      assert.equal((await c.exec(["stat", "-c", "%a %u %g %s", "/files/data.bin"])).stdout, "600 1234 99 300000\n");
      await c.writeFile("/files/t.txt", "héllo\n");
      await c.writeFile("/files/t.txt", "replaced ünïcode\n"); // an existing file is replaced
      assert.equal((await c.exec(["stat", "-c", "%a", "/files/t.txt"])).stdout, "644\n");
      assert.equal(await c.readFile("/files/t.txt", { encoding: "utf8" }), "replaced ünïcode\n");
      await c.writeFile("/top.txt", "at the root");
      assert.equal(await c.readFile("/top.txt", { encoding: "utf8" }), "at the root");
      await c.exec(["sh", "-c", "ln -s /files/t.txt /files/abs && ln -s t.txt /files/rel && ln -s rel /files/chain"]);
      for (const link of ["/files/abs", "/files/rel", "/files/chain"]) {
        assert.equal(await c.readFile(link, { encoding: "utf8" }), "replaced ünïcode\n", link);
      }
      await assert.rejects(c.readFile("/files"), DockerConfigError, "a directory");
      await assert.rejects(c.readFile("/no/such/file"), DockerNotFoundError);
      // dockerd refuses a missing directory; Podman creates it.
      if (await docker.isPodman()) {
        await c.writeFile("/no/such/dir/f", "x");
        assert.equal(await c.readFile("/no/such/dir/f", { encoding: "utf8" }), "x");
      } else await assert.rejects(c.writeFile("/no/such/dir/f", "x"), DockerNotFoundError);
      await assert.rejects(c.writeFile("/files/", "x"), DockerConfigError, "no file name");
      await c.kill();
    },
  },
  {
    name: "exec(cmd, { detach: true }) starts the command in the background and returns its Exec",
    async run({ assert, container }) {
      const c = await container({ Cmd: ["sleep", "600"] });
      await c.start();
      const exec = await within(20_000, "a detached exec", c.exec(["sh", "-c", "echo started > /marker; exec sleep 600"], { detach: true }));
      assert.ok(exec instanceof Exec, "an Exec handle");
      let marker = "";
      for (let i = 0; i < 100 && marker === ""; i++) {
        marker = await c.readFile("/marker", { encoding: "utf8" }).catch(() => "");
        if (marker === "") await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(marker, "started\n");
      assert.equal((await exec.inspect()).Running, true);
      await assert.rejects(c.exec(["cat"], { detach: true, stdin: "x" } as never), DockerConfigError, "stdin with detach");
      await c.kill();
    },
  },
  {
    name: "container accessors: shortId, status, image, labels and health, alike from a list item and an inspect",
    async run({ docker, assert, image, labels, container }) {
      const c = await container({ Cmd: ["sleep", "600"], Healthcheck: { Test: ["CMD", "true"], Interval: 100_000_000, Retries: 1 } });
      assert.equal([c.status, c.health], ["created", undefined]); // no verdict before it runs
      await c.start();
      for (let i = 0; i < ((await docker.isPodman()) ? 5 : 100) && c.health !== "healthy"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await c.reload();
      }
      const [listed] = await docker.containers.list({ filters: { id: [c.id] } });
      // Podman names local images localhost/..., and runs healthchecks from systemd timers (none
      // here): its verdict stays "starting".
      const podman = await docker.isPodman();
      const expected = podman ? [c.id.slice(0, 12), "running", "starting", `localhost/${image}`] : [c.id.slice(0, 12), "running", "healthy", image];
      // (Podman's list items carry neither the health nor the image name given: inspect only there.)
      for (const [what, h] of podman ? ([["inspect", c]] as const) : ([["inspect", c], ["list", listed!]] as const)) {
        assert.equal([h.shortId, h.status, h.health, h.image], expected, what);
        assert.equal(h.labels["berth.test.run"], labels["berth.test.run"], what);
      }
      await c.kill();
    },
  },
  {
    name: "run() options like the CLI's: env, ports, volumes, labels, user, workdir, network, restart, memory",
    async run({ docker, assert, image, labels, tempDir, defer }) {
      const dir = await tempDir({ "f.txt": "from the host\n" });
      const { container } = await docker.containers.run(image, ["sleep", "600"], {
        detach: true,
        config: { Labels: labels, Env: ["FROM_CONFIG=1"] },
        env: { A: "1", B: 2 },
        ports: { "80/tcp": "127.0.0.1:", "53/udp": null, "8080": [{ hostIp: "127.0.0.1" }] },
        volumes: { [dir]: { bind: "/data", mode: "ro" } },
        labels: { "berth.extra": "yes" },
        user: "1234:99",
        workdir: "/tmp-work",
        network: "bridge",
        restart: "on-failure:2",
        memory: "64m",
      });
      defer(() => container.remove({ force: true }));
      const info = await container.inspect();
      // (Podman keeps the variables in an order of its own.)
      assert.equal(info.Config?.Env?.filter((e) => /^(A|B|FROM_CONFIG)=/.test(e)).sort(), ["A=1", "B=2", "FROM_CONFIG=1"]);
      assert.equal([info.Config?.User, info.Config?.WorkingDir, info.Config?.Labels?.["berth.extra"]], ["1234:99", "/tmp-work", "yes"]);
      assert.equal(info.Config?.Labels?.["berth.test.run"], labels["berth.test.run"]);
      assert.equal([info.HostConfig?.Memory, info.HostConfig?.NetworkMode], [64 * 1024 * 1024, "bridge"]);
      assert.equal(info.HostConfig?.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 2 });
      const published = info.NetworkSettings?.Ports ?? {};
      assert.equal(Object.keys(published).sort(), ["53/udp", "80/tcp", "8080/tcp"]);
      assert.equal(published["80/tcp"]?.[0]?.HostIp, "127.0.0.1");
      assert.match(published["80/tcp"]?.[0]?.HostPort ?? "", /^\d+$/);
      // The ports accessor: the same from the inspect and from a list item.
      await container.reload();
      const [listed] = await docker.containers.list({ filters: { id: [container.id] } });
      const sorted = (ports: Record<string, { hostIp: string; hostPort: number }[]>) =>
        Object.fromEntries(Object.entries(ports).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort((x, y) => x.hostIp.localeCompare(y.hostIp))]));
      assert.equal(container.ports["80/tcp"], [{ hostIp: "127.0.0.1", hostPort: Number(published["80/tcp"]![0]!.HostPort) }]);
      assert.equal(sorted(listed!.ports), sorted(container.ports));
      assert.equal((await container.exec(["cat", "/data/f.txt"], { user: "0" })).stdout, "from the host\n");
      assert.equal((await container.exec(["id", "-u"])).stdout, "1234\n");
      const written = await container.exec(["sh", "-c", "echo x > /data/new"], { user: "0" }); // root: only ro stops it
      assert.match(written.stderr, /Read-only file system/);
      await assert.rejects(docker.containers.run(image, ["true"], { memory: "lots" }), DockerConfigError, "a bad size");
      await assert.rejects(docker.containers.run(image, ["true"], { ports: { "http": 80 } }), DockerConfigError, "a bad port");
      await assert.rejects(docker.containers.run(image, ["true"], { restart: "sometimes" as never }), DockerConfigError, "a bad restart policy");
    },
  },
];
