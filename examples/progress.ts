// Progress, as a terminal shows it: a pull with a byte bar, and a BuildKit build printed the way
// `docker buildx build --progress=plain` prints it (steps, their output, cached and done).
//   npx tsx --tsconfig tsconfig.json examples/progress.ts [image-to-pull]
// The pull needs a reachable registry (e.g. `bash scripts/registry.sh` then
// `127.0.0.1:5000/berth-test:busybox` after pushing it there); the build runs offline.
import { Docker, DockerBuildError, PlainProgress, type Progress } from "berth-docker";

const docker = Docker.fromEnv();

function bar(progress: Progress, label: string): void {
  const width = 30;
  const ratio = progress.total > 0 ? progress.current / progress.total : 0;
  const filled = Math.round(ratio * width);
  const mb = (n: number) => (n / 1e6).toFixed(1);
  process.stdout.write(
    `\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${mb(progress.current)}/${mb(progress.total)} MB, ` +
      `${progress.layersDone}/${progress.layers.length} layers `,
  );
}

const image = process.argv[2];
if (image) {
  await docker.images.pull(image, { onProgress: (p) => bar(p, `pull ${image}`) });
  process.stdout.write("\n");
}

// A cache mount: BuildKit syntax. `builder: "auto"` (the default) would pick BuildKit on Docker 23+.
const dockerfile = [
  "FROM berth-test:busybox",
  "RUN --mount=type=cache,target=/cache echo step one; date >> /cache/runs; wc -l < /cache/runs",
  "RUN echo step two",
].join("\n");
const plain = new PlainProgress();
try {
  const { id, steps } = await docker.images.build([{ name: "Dockerfile", data: dockerfile }], {
    builder: "buildkit",
    tag: "berth-example:progress",
    onEvent: (event) => {
      for (const line of plain.render(event)) console.log(line);
    },
  });
  console.log(`\nbuilt ${id} in ${steps.length} steps (${steps.filter((s) => s.state === "cached").length} cached)`);
} catch (err) {
  // The failing step, its exit code and its last lines of output.
  if (err instanceof DockerBuildError) console.error(`${err.step?.name} exited ${err.exitCode}:\n${err.stepOutput.join("\n")}`);
  throw err;
} finally {
  await docker.images.ref("berth-example:progress").remove().catch(() => {});
  await docker.close();
}
