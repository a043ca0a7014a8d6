// Type-level checks compiled in every TypeScript app of scripts/test-package.sh, against the
// installed package: "berth-docker" gives the server API under every resolution mode (bundler
// included, where no runtime condition is set), and "berth-docker/browser" the narrow browser one.
import { Docker, DockerConfigError, packDirectory, type NodeDockerOptions } from "berth-docker";
import { Docker as BrowserDocker, type BrowserDockerOptions } from "berth-docker/browser";

export const fromEnv: (options?: { env?: Record<string, string | undefined> }) => Docker = Docker.fromEnv;
export const fromContext: (name?: string) => Docker = Docker.fromContext;
export const serverOptions: NodeDockerOptions[] = [
  { socketPath: "/var/run/docker.sock" },
  { host: "https://engine:2376", tls: { ca: "-----BEGIN CERTIFICATE-----", cert: "", key: "" } },
];
export const pack: typeof packDirectory = packDirectory;
export const isConfigError = (e: unknown): boolean => e instanceof DockerConfigError;

export function browserOnly(): BrowserDocker {
  const options: BrowserDockerOptions = { url: "http://127.0.0.1:2375", init: { credentials: "include" } };
  // @ts-expect-error the browser entry reaches engines by URL only: no unix sockets
  new BrowserDocker({ socketPath: "/var/run/docker.sock" });
  return new BrowserDocker(options);
}
