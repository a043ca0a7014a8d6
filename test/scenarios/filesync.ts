// A directory context served through the BuildKit session's file sync (FileSync/DiffCopy): the
// engine walks it through berth and asks for the files it needs. The file access is wrapped to
// see what berth read: what .dockerignore names is never looked at, let alone sent. Podman has no
// BuildKit: there the same directory goes as a tar, which is what these scenarios assert on it.

import { DockerBuildError } from "../../src/buildkit/build-stream.ts";
import { DockerAbortError, DockerUnsupportedError } from "../../src/errors/errors.ts";
import { packContext, type ContextFileSystem } from "../../src/server/build/context.ts";
import { archiveBody } from "../../src/streams/archive-body.ts";
import { collectBytes } from "../../src/streams/bytes.ts";
import type { Docker } from "../../src/docker.ts";
import type { Scenario, ScenarioContext } from "./context.ts";

const MiB = 1024 * 1024;

/** The runtime's file access, with every path it was asked about recorded; `open` may be replaced. */
function watched(docker: Docker, open?: (path: string, real: ContextFileSystem) => ReadableStream<Uint8Array>): { fs: ContextFileSystem; touched: string[]; opened: string[] } {
  const real = docker.client.fileSystem!;
  const touched: string[] = [];
  const opened: string[] = [];
  const fs: ContextFileSystem = {
    readdir: (path) => (touched.push(path), real.readdir(path)),
    lstat: (path) => (touched.push(path), real.lstat(path)),
    readlink: (path) => (touched.push(path), real.readlink(path)),
    readText: (path) => (touched.push(path), real.readText(path)),
    open(path) {
      touched.push(path);
      opened.push(path);
      return open ? open(path, real) : real.open(path);
    },
  };
  return { fs, touched, opened };
}

/** A client on the scenario's engine whose directory builds read through `fs`. */
function withFiles(ctx: ScenarioContext, fs: ContextFileSystem): Docker {
  return ctx.connect({ host: ctx.docker.client.transport.address, fileSystem: fs });
}

/** The size of the tar a directory build sends without a session. */
async function tarSize(fs: ContextFileSystem, dir: string): Promise<number> {
  const packed = await packContext(fs, dir);
  return (await collectBytes((await archiveBody(packed.entries)) as ReadableStream<Uint8Array>)).length;
}

async function listing(ctx: ScenarioContext, image: string, script: string): Promise<string> {
  const seen = await ctx.docker.containers.run(image, ["sh", "-c", script], { config: { Labels: ctx.labels } });
  return seen.stdout;
}

export const fileSyncScenarios: Scenario[] = [
  {
    name: "BuildKit file sync: a directory context is served on demand; what .dockerignore names is never read nor sent",
    timeout: 180_000,
    async run(ctx) {
      const { docker, assert, run, labels, image, tempDir, defer } = ctx;
      const podman = await docker.isPodman();
      const dir = await tempDir({
        Dockerfile: `FROM ${image}\nCOPY . /ctx\n`,
        ".dockerignore": "big.bin\nlogs\n",
        "app/main.txt": `main-${run}\n`,
        "app/nested/deep.txt": "deep\n",
        "big.bin": new Uint8Array(20 * MiB),
        "logs/today.log": "never sent\n",
      });
      const { fs, touched, opened } = watched(docker);
      const client = withFiles(ctx, fs);
      const tag = `berth-scenario-filesync:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      try {
        const built = await client.images.build(dir, { builder: "buildkit", tag, labels, noCache: true });
        const script = "cd /ctx && find . | sort && cat app/main.txt";
        assert.equal(await listing(ctx, tag, script), `.\n./.dockerignore\n./Dockerfile\n./app\n./app/main.txt\n./app/nested\n./app/nested/deep.txt\nmain-${run}\n`);
        for (const path of touched) assert.ok(!/\/(big\.bin|logs\/)/.test(path), `read ${path}, which .dockerignore names`);
        if (podman) {
          assert.equal(built.contextSent, undefined, "Podman builds classic: the directory went as a tar");
          // Insisting on the session is refused before the build, naming why.
          const err = await assert.rejects(client.images.build(dir, { builder: "buildkit", labels, contextTransfer: "session" }), DockerUnsupportedError);
          assert.match(err.message, /Podman/);
          return;
        }
        assert.ok(built.contextSent, "the context went through the session");
        const kept = `main-${run}\n`.length + "deep\n".length;
        assert.ok(built.contextSent!.files >= 2 && built.contextSent!.bytes >= kept, `sent ${JSON.stringify(built.contextSent)}`);
        assert.ok(built.contextSent!.bytes < MiB, `sent ${built.contextSent!.bytes} bytes, far less than the ignored 20 MiB`);
        // Against the tar berth would have sent instead (.dockerignore applied too): no more than it.
        const tar = await tarSize(docker.client.fileSystem!, dir);
        assert.ok(built.contextSent!.bytes <= tar, `sent ${built.contextSent!.bytes} bytes over the session, the tar has ${tar}`);
        assert.ok(opened.some((p) => p.endsWith("/app/nested/deep.txt")), "the engine asked for the files it copies");

        // The same directory again, one file changed (another size): the image has the new bytes.
        await client.images.ref(tag).remove({ force: true });
        const edit = watched(docker, (path, real) => (path.endsWith("/app/main.txt") ? new Blob([`edited-${run}-longer\n`]).stream() : real.open(path)));
        const editing = withFiles(ctx, {
          ...edit.fs,
          async lstat(path) {
            const s = await edit.fs.lstat(path);
            return path.endsWith("/app/main.txt") ? { ...s, size: `edited-${run}-longer\n`.length, mtimeMs: s.mtimeMs + 1000 } : s;
          },
        });
        try {
          await editing.images.build(dir, { builder: "buildkit", tag, labels, noCache: true });
          assert.match(await listing(ctx, tag, "cat /ctx/app/main.txt"), new RegExp(`^edited-${run}-longer\n$`));
        } finally {
          await editing.close();
        }

        // contextTransfer: "tar" sends the whole context first, as before.
        const asTar = await client.images.build(dir, { builder: "buildkit", labels, noCache: true, contextTransfer: "tar" });
        await docker.images.ref(asTar.id).remove({ force: true });
        assert.equal(asTar.contextSent, undefined);
        // So does a build without a session.
        const sessionless = await client.images.build(dir, { builder: "buildkit", labels, noCache: true, session: false });
        await docker.images.ref(sessionless.id).remove({ force: true });
        assert.equal(sessionless.contextSent, undefined);
      } finally {
        await client.close();
      }
    },
  },
  {
    name: "BuildKit file sync: a Dockerfile outside the context, a symlink and an empty directory",
    timeout: 120_000,
    async run(ctx) {
      const { docker, assert, run, labels, image, tempDir, defer } = ctx;
      const dir = await tempDir({ "target.txt": `target-${run}\n`, link: { symlink: "target.txt" }, "empty/": { directory: true } });
      const elsewhere = await tempDir({ "build.Dockerfile": `FROM ${image}\nCOPY . /ctx\nRUN echo built-${run}\n`, "neighbour.txt": "not part of the build\n" });
      const { fs, touched } = watched(docker);
      const client = withFiles(ctx, fs);
      try {
        const built = await client.images.build(dir, { builder: "buildkit", labels, noCache: true, dockerfile: `${elsewhere}/build.Dockerfile` });
        defer(() => docker.images.ref(built.id).remove({ force: true }));
        assert.match(built.output, new RegExp(`built-${run}`));
        const script = "cd /ctx && ls -A && readlink link && cat link && test -d empty && ls -A empty | wc -l";
        // A tar carries the Dockerfile under a generated name and a .dockerignore naming it, which
        // COPY then sees; through the session the context is the directory alone.
        const fromTar = `.dockerignore\nempty\nlink\ntarget.txt\ntarget.txt\ntarget-${run}\n0\n`;
        if (await docker.isPodman()) {
          assert.equal(built.contextSent, undefined, "Podman builds classic, from a tar");
          assert.equal(await listing(ctx, built.id, script), fromTar);
          return;
        }
        assert.equal(await listing(ctx, built.id, script), `empty\nlink\ntarget.txt\ntarget.txt\ntarget-${run}\n0\n`);
        assert.ok(built.contextSent, "the context went through the session");
        assert.ok(!touched.some((p) => p.endsWith("/neighbour.txt")), "only the Dockerfile is read from its directory");
        // The classic builder, as Podman builds: the same directory as a tar.
        const classic = await client.images.build(dir, { builder: "classic", labels, noCache: true, dockerfile: `${elsewhere}/build.Dockerfile` });
        defer(() => docker.images.ref(classic.id).remove({ force: true }));
        assert.equal(classic.contextSent, undefined);
        assert.equal(await listing(ctx, classic.id, script), fromTar);
      } finally {
        await client.close();
      }
    },
  },
  {
    name: "BuildKit file sync: a file that cannot be read fails the build naming it; an abort during the transfer or the build ends both",
    timeout: 180_000,
    async run(ctx) {
      const { docker, assert, run, labels, image, tempDir } = ctx;
      const podman = await docker.isPodman();
      const dir = await tempDir({ Dockerfile: `FROM ${image}\nCOPY . /ctx\nRUN echo started-${run}; sleep 60\n`, "ok.txt": "ok\n", "broken.txt": "soon gone\n" });
      // Podman builds classic, from a tar: only the abort in a RUN step below applies there.
      if (!podman) await unreadableAndStalled(ctx, dir);

      // Aborted in a RUN step, after the transfer.
      const later = new AbortController();
      const build = docker.images.build(dir, {
        builder: "buildkit",
        labels,
        noCache: true,
        signal: later.signal,
        onEvent(event) {
          if (event.type === "log" && event.text.includes(`started-${run}`)) later.abort();
        },
      });
      await assert.rejects(build, DockerAbortError);
      assert.equal(await docker.ping(), "OK");
    },
  },
];

/** A file that fails to read, then one that never ends while the build is aborted. */
async function unreadableAndStalled(ctx: ScenarioContext, dir: string): Promise<void> {
  const { docker, assert, labels } = ctx;
  const gone = watched(docker, (path, real) =>
    path.endsWith("/broken.txt") ? new ReadableStream({ pull: (c) => c.error(Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" })) }) : real.open(path),
  );
  const failing = withFiles(ctx, gone.fs);
  try {
    const err = await assert.rejects(failing.images.build(dir, { builder: "buildkit", labels, noCache: true }), DockerBuildError);
    assert.match(err.message, /cannot read \S*\/broken\.txt: it no longer exists/);
  } finally {
    await failing.close();
  }

  // Aborted while berth is sending a file that never ends: the build rejects, nothing hangs.
  const controller = new AbortController();
  const stalled = watched(docker, (path, real) => {
    if (!path.endsWith("/broken.txt")) return real.open(path);
    controller.abort();
    return new ReadableStream({ pull: () => new Promise(() => {}) });
  });
  const stalling = withFiles(ctx, stalled.fs);
  try {
    await assert.rejects(stalling.images.build(dir, { builder: "buildkit", labels, noCache: true, signal: controller.signal }), DockerAbortError);
  } finally {
    await stalling.close();
  }
}
