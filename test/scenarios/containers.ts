// Containers and their streams: lifecycle, list and get, rename, update, top, changes, wait,
// names the engine refuses, prune, run's exit error; logs, exec (with stdin and half-close), attach, archives.

import { readTarEntries } from "../../src/streams/tar.ts";
import { ContainerExitError, DockerConflictError, DockerHttpError, DockerNotFoundError, DockerUnsupportedError } from "../../src/errors/errors.ts";
import type { Scenario } from "./context.ts";

export const containerScenarios: Scenario[] = [
  {
    name: "the quick-start lifecycle: create, start, wait for the exit code, remove",
    async run({ docker, assert, labels, image }) {
      const c = await docker.containers.create({ Image: image, Cmd: ["sh", "-c", "exit 7"], Labels: labels });
      assert.match(c.id, /^[0-9a-f]{64}$/);
      await c.start();
      const { StatusCode } = await c.wait();
      assert.equal(StatusCode, 7);
      await c.remove();
      await assert.rejects(c.inspect(), DockerNotFoundError);
    },
  },
  {
    name: "containers: list in one request filtered by label and id; get by name, /name and id; reload",
    async run({ docker, assert, container, labels, image, name }) {
      const a = await container({ Cmd: ["sleep", "30"] });
      const b = await container({ Cmd: ["sleep", "30"] });
      const list = await docker.containers.list({ all: true, filters: { label: [`berth.test.run=${labels["berth.test.run"]}`], id: [a.id, b.id] } });
      assert.equal(list.map((c) => c.id).sort(), [a.id, b.id].sort());
      // Podman lists the image by its full name (the test image is loaded as localhost/NAME).
      assert.equal(list[0]!.attrs?.Image, (await docker.isPodman()) ? `localhost/${image}` : image);
      assert.equal(await docker.containers.list({ filters: { id: [a.id] } }), [], "a created container is not running");

      const wanted = name();
      const c = await container({ Cmd: ["sleep", "30"] }, wanted);
      const byName = await docker.containers.get(wanted);
      assert.equal(byName.id, c.id);
      assert.equal((await docker.containers.get(`/${wanted}`)).id, c.id, "as listed in Names");
      assert.equal((await docker.containers.get(c.id)).name, wanted);
      assert.equal(byName.name, wanted);
      await c.start();
      await c.reload();
      assert.equal((c.attrs as { State?: { Running?: boolean } }).State?.Running, true);
      await c.remove({ force: true });
    },
  },
  {
    name: "container lifecycle: create, start, pause, stop, restart, kill, wait, remove",
    async run({ docker, assert, container, name, labels }) {
      const wanted = name("life");
      const c = await container({ Cmd: ["sleep", "600"] }, wanted);
      assert.equal((await c.inspect()).State?.Status, "created");
      await c.start();
      const info = await c.inspect();
      assert.equal(info.State?.Status, "running");
      assert.equal(info.Name, `/${wanted}`);
      assert.equal(info.Config?.Labels?.["berth.test.run"], labels["berth.test.run"]);
      const listed = await docker.containers.list({ filters: { label: [`berth.test.run=${labels["berth.test.run"]}`], name: [wanted] } });
      assert.equal(listed.map((x) => x.id), [c.id]);
      await c.start(); // already started: 304, not an error
      await c.pause();
      assert.equal((await c.inspect()).State?.Status, "paused");
      await c.unpause();
      // dockerd marks a container paused again when containerd's "paused" event is handled after
      // the unpause answered (seen under load on 20.10): the state settles to running.
      let status = (await c.inspect()).State?.Status;
      for (let i = 0; status === "paused" && i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await c.inspect()).State?.Status;
      }
      assert.equal(status, "running");
      const conflict = await assert.rejects(c.remove(), DockerConflictError, "removing a running container");
      assert.equal(conflict.status, 409);
      assert.equal(conflict.isConflict, true);
      await c.stop({ t: 0 });
      assert.equal((await c.inspect()).State?.Running, false);
      assert.equal((await c.inspect()).State?.Status, "exited");
      await c.restart({ t: 0 });
      assert.equal((await c.inspect()).State?.Running, true);
      await c.kill("SIGKILL");
      const { StatusCode } = await c.wait();
      assert.equal(StatusCode, 137);
      assert.equal((await c.inspect()).State?.Running, false);
      await c.remove();
      await assert.rejects(c.inspect(), DockerNotFoundError);
    },
  },
  {
    name: "logs are demultiplexed into exact stdout and stderr, and follow ends with the container",
    async run({ docker, assert, container }) {
      const c = await container({ Cmd: ["sh", "-c", "echo out1; echo err1 >&2; printf out2; printf err2 >&2"] });
      await c.start();
      await c.wait();
      const { stdout, stderr } = await (await c.logs()).collect();
      assert.equal(stdout, "out1\nout2");
      assert.equal(stderr, "err1\nerr2");
      const tail = await (await c.logs({ tail: 1, stdout: false })).text();
      if (await docker.isPodman()) {
        // Podman 4 joins unterminated lines into one line for `tail`, and at times the other
        // stream's unterminated last line with them: "err1err2\n", "err1err2out2\n".
        assert.match(tail, /^(err1)?err2(out2)?\n?$/, "Podman's stderr tail");
      } else {
        // tail counts both streams' lines before stdout is dropped, and whether out2 or err2 was
        // logged last depends on the engine's two pipes: "" happens. Ask stderr-only output.
        assert.ok(tail === "err2" || tail === "", `stderr tail ${JSON.stringify(tail)}`);
        const e = await container({ Cmd: ["sh", "-c", "echo e1 >&2; echo e2 >&2"] });
        await e.start();
        await e.wait();
        assert.equal(await (await e.logs({ tail: 1, stdout: false })).text(), "e2\n");
      }

      const f = await container({ Cmd: ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.1; done"] });
      await f.start();
      const lines: string[] = [];
      for await (const l of (await f.logs({ follow: true })).lines()) lines.push(l.line);
      assert.equal(lines, ["1", "2", "3"]);
    },
  },
  {
    // Megabytes of log in many reads, each read holding many HTTP chunks (one per line): a
    // transport that drops, repeats or reorders a piece at a read's edge shows as a wrong line.
    name: "logs of 20,000 numbered lines arrive complete and in order, followed and replayed",
    timeout: 120_000,
    async run({ assert, container }) {
      const LINES = 20_000;
      const pad = "x".repeat(80);
      const expected = (i: number) => `${String(i).padStart(6, "0")} ${pad}`;
      // Every 1000th line also to stderr: the two streams interleave in the engine's frames.
      const script = `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) { printf "%06d ${pad}\\n", i; if (i % 1000 == 0) printf "e%06d\\n", i > "/dev/stderr" } }'; sleep 600`;
      const c = await container({ Cmd: ["sh", "-c", script] });
      await c.start();
      const check = (lines: { stream: string; line: string }[], how: string) => {
        const out = lines.filter((l) => l.stream === "stdout").map((l) => l.line);
        const err = lines.filter((l) => l.stream === "stderr").map((l) => l.line);
        assert.equal(out.length, LINES, `${how}: stdout lines`);
        const wrong = out.findIndex((line, i) => line !== expected(i + 1));
        assert.equal(wrong, -1, `${how}: stdout line ${wrong + 1} is ${JSON.stringify(out[wrong])}`);
        assert.equal(err, Array.from({ length: LINES / 1000 }, (_, i) => `e${String((i + 1) * 1000).padStart(6, "0")}`), `${how}: stderr lines`);
      };
      // Followed while the container runs (it sleeps after its output, so the engine's follow
      // cannot end first): read until the last line, then stop.
      const followed: { stream: string; line: string }[] = [];
      let stdoutSeen = 0;
      let stderrSeen = 0;
      for await (const l of (await c.logs({ follow: true })).lines()) {
        followed.push({ stream: l.stream, line: l.line });
        if (l.stream === "stdout") stdoutSeen++;
        else stderrSeen++;
        if (stdoutSeen === LINES && stderrSeen === LINES / 1000) break;
      }
      check(followed, "followed");
      await c.kill("SIGKILL");
      await c.wait();
      // The replay reads without follow: following an exited container, an engine may end the
      // stream before the last line when its reader is behind (dockerd 20.10 and Podman 4.3 both
      // do; seen with 16,726 of 20,000 lines on Podman under load), which is the engine's race.
      const replayed: { stream: string; line: string }[] = [];
      for await (const l of (await c.logs()).lines()) replayed.push({ stream: l.stream, line: l.line });
      check(replayed, "replayed from the exited container");
      const { stdout } = await (await c.logs()).collect();
      assert.ok(stdout === Array.from({ length: LINES }, (_, i) => expected(i + 1) + "\n").join(""), `collected stdout: ${stdout.length} characters`);
    },
  },
  {
    name: "exec: output, exit code, stdin with half-close, interactive session",
    async run({ assert, container }) {
      const c = await container({ Cmd: ["sleep", "600"] });
      await c.start();
      assert.equal(await c.exec(["sh", "-c", "echo out; echo err >&2; exit 42"]), { exitCode: 42, stdout: "out\n", stderr: "err\n" });
      // More than any socket buffer: stdin and output must flow at the same time.
      const payload = "line 1\n" + "x".repeat(300_000) + "\nlast\n";
      const cat = await c.exec(["cat"], { stdin: payload });
      assert.equal(cat.exitCode, 0);
      assert.ok(cat.stdout === payload, `cat echoed ${cat.stdout.length} of ${payload.length} bytes`);

      const session = await c.execStream(["sh", "-c", "read a; echo got:$a; cat; echo done; exit 3"], { stdin: true });
      await session.write("hello\n");
      await session.write(new TextEncoder().encode("more\n"));
      await session.closeStdin(); // EOF for cat; the output after it must still arrive
      const out = await session.output.collect();
      assert.equal(out, { stdout: "got:hello\nmore\ndone\n", stderr: "" });
      assert.equal(await session.wait(), 3);
      await c.kill();
    },
  },
  {
    name: "attach: the first line when attached before start, and stdin with half-close",
    async run({ assert, container }) {
      const early = await container({ Cmd: ["sh", "-c", "echo first; echo second >&2"] });
      const watching = await early.attach();
      await early.start();
      assert.equal(await watching.output.collect(), { stdout: "first\n", stderr: "second\n" });

      const c = await container({ Cmd: ["sh", "-c", "cat; echo end"], OpenStdin: true, StdinOnce: true });
      await c.start();
      const session = await c.attach({ stdin: true });
      await session.write("exact bytes\n");
      await session.closeStdin();
      assert.equal(await session.output.text(), "exact bytes\nend\n");
      assert.equal((await c.wait()).StatusCode, 0);
    },
  },
  {
    name: "archive round trip: put a tree, read it back byte for byte",
    async run({ assert, container }) {
      const c = await container({ Cmd: ["sleep", "600"] });
      await c.start();
      const big = new Uint8Array(300_000).map((_, i) => (i * 7 + (i >> 9)) % 256);
      await c.putArchive("/", [
        { name: "tree", type: "directory" },
        { name: "tree/a.txt", data: "alpha\n" },
        { name: "tree/sub", type: "directory" },
        { name: "tree/sub/big.bin", data: big, mode: 0o600 },
        { name: "tree/link", type: "symlink", linkname: "a.txt" },
      ]);
      assert.equal((await c.exec(["cat", "/tree/link"])).stdout, "alpha\n");
      const info = await c.archiveInfo("/tree");
      assert.ok(info.isDirectory, "tree is a directory");
      const { stat, body } = await c.getArchive("/tree/sub");
      assert.equal(stat?.name, "sub");
      const entries = await readTarEntries(body);
      const file = entries.find((e) => e.name === "sub/big.bin");
      assert.ok(file, `big.bin in ${entries.map((e) => e.name).join(",")}`);
      assert.equal(file!.data, big);
      assert.equal(file!.mode & 0o777, 0o600);
      await assert.rejects(c.getArchive("/no/such/path"), DockerNotFoundError);
      await c.kill();
    },
  },
  {
    name: "run rejects a non-zero exit with its code and stderr, and detach returns the running container",
    async run({ docker, assert, labels, image }) {
      const err = await assert.rejects(docker.containers.run(image, "echo bad >&2; exit 5", { config: { Labels: labels } }), ContainerExitError);
      assert.equal(err.exitCode, 5);
      assert.equal(err.stderr, "bad\n");
      const { container } = await docker.containers.run(image, ["sleep", "30"], { detach: true, config: { Labels: labels } });
      assert.equal((await container.inspect()).State?.Running, true);
      await container.remove({ force: true });
    },
  },
  {
    name: "containers: rename, update, top and changes",
    async run({ docker, assert, container, name }) {
      const c = await container({ Cmd: ["sh", "-c", "touch /created-file; sleep 300"] });
      await c.start();
      const newName = name("renamed");
      await c.rename(newName);
      assert.equal((await c.inspect()).Name, `/${newName}`);
      if (await docker.isPodman()) {
        // Podman 4 has no /containers/{id}/update.
        await assert.rejects(c.update({ Memory: 64 * 1024 * 1024, MemorySwap: -1 }), DockerUnsupportedError, "update on Podman");
      } else {
        const updated = await c.update({ Memory: 64 * 1024 * 1024, MemorySwap: -1 });
        assert.ok(updated !== undefined, "update answers");
        assert.equal((await c.inspect()).HostConfig?.Memory, 64 * 1024 * 1024);
      }
      const top = await c.top();
      assert.includes(top.Titles, "PID");
      assert.ok(top.Processes!.some((p) => p.join(" ").includes("sleep")), `sleep in ${JSON.stringify(top.Processes)}`);
      // the shell may not have touched the file yet
      for (let i = 0; ; i++) {
        const changes = await c.changes();
        if (changes.some((ch) => ch.Path === "/created-file")) break;
        assert.ok(i < 49, "the created file never showed in changes()");
        await new Promise((r) => setTimeout(r, 100));
      }
      await c.remove({ force: true });
    },
  },
  {
    name: "wait with condition next-exit, asked before the start",
    async run({ assert, container }) {
      const c = await container({ Cmd: ["sh", "-c", "sleep 0.3; exit 4"] });
      const waiting = c.wait({ condition: "next-exit" });
      await c.start();
      assert.equal((await waiting).StatusCode, 4);
    },
  },
  {
    name: "a name with a space is refused by the engine, not misrouted; a path-like name never reaches another endpoint",
    async run({ docker, assert, container }) {
      const err = await assert.rejects(container({ Cmd: ["true"] }, "a b"), DockerHttpError);
      // Podman answers 500 with cause "invalid argument", which berth reports as dockerd's 400.
      assert.equal(err.status, 400);
      assert.match(err.reason, (await docker.isPodman()) ? /names must match/ : /Invalid container name/);
      await assert.rejects(docker.containers.get("a b"), DockerNotFoundError, "get a b");
      for (const odd of ["x/../../images/json", "..", ".", "../images/json", "a?b=1", "a#b", "%2e%2e"]) {
        await assert.rejects(docker.containers.get(odd), DockerNotFoundError, odd);
      }
    },
  },
  {
    name: "containers: prune removes what matches its filters",
    async run({ docker, assert, container, labels }) {
      const c = await container({ Cmd: ["true"] });
      await c.start();
      await c.wait();
      const pruned = await docker.containers.prune({ filters: { label: [`berth.test.run=${labels["berth.test.run"]}`] } });
      assert.includes(pruned.ContainersDeleted, c.id);
    },
  },
];
