// A terminal progress bar for a pull and for a build.
//   npx tsx --tsconfig tsconfig.json examples/progress.ts [image-to-pull]
// The pull needs a reachable registry (e.g. `bash scripts/registry.sh` then
// `127.0.0.1:5000/berth-test:busybox` after pushing it there); the build runs offline.
import { Docker, type Progress } from "berth-docker";

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

const { id } = await docker.images.build(
  [{ name: "Dockerfile", data: "FROM berth-test:busybox\nRUN echo step one\nRUN echo step two\n" }],
  {
    tag: "berth-example:progress",
    onProgress: (_, event) => {
      if (event.stream) process.stdout.write(`build | ${event.stream}`);
    },
  },
);
console.log(`built ${id}`);
await docker.images.ref("berth-example:progress").remove();
await docker.close();
