// Quick start: talk to the local engine, run a container, read its output, list containers.
//   npm run quickstart
import { Docker } from "berth-docker";

const docker = Docker.fromEnv(); // DOCKER_HOST / context, else unix:///var/run/docker.sock

const version = await docker.version();
console.log(`engine ${version.Version} (API ${version.ApiVersion}) at ${docker.address}`);

const container = await docker.containers.create({
  Image: "berth-test:busybox",
  Cmd: ["sh", "-c", "echo hello from berth; echo a warning >&2; exit 3"],
  Labels: { "berth.example": "quickstart" },
});
await container.start();
const { StatusCode } = await container.wait();
console.log(`container ${container.id.slice(0, 12)} exited with code ${StatusCode}`);

for await (const { stream, data } of await container.logs()) {
  process.stdout.write(`  ${stream}: ${new TextDecoder().decode(data)}`);
}
await container.remove();

const running = await docker.containers.list({ all: true });
console.log(`${running.length} container(s) on this engine`);
for (const c of running) console.log(`  ${c.id.slice(0, 12)}  ${c.name}  ${c.attrs?.State}`);
await docker.close();
