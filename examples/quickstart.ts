// Quick start: talk to the local engine, run a container, list containers.
//   npm run quickstart
import { Docker } from "berth";

const docker = Docker.fromEnv(); // DOCKER_HOST, else unix:///var/run/docker.sock

const version = await docker.version();
console.log(`engine ${version.Version} (API ${version.ApiVersion}) at ${docker.address}`);

const container = await docker.containers.create({
  Image: "berth-test:busybox",
  Cmd: ["sh", "-c", "echo hello from berth; exit 3"],
  Labels: { "berth.example": "quickstart" },
});
await container.start();
const { StatusCode } = await container.wait();
console.log(`container ${container.id.slice(0, 12)} exited with code ${StatusCode}`);
await container.remove();

for (const c of await docker.containers.list({ all: true })) {
  console.log(`${c.id.slice(0, 12)}  ${c.name}  ${c.attrs?.State}`);
}
await docker.close();
