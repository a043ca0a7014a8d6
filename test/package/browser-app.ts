// A browser-only app of scripts/test-package.sh: DOM types, no @types/node, skipLibCheck off, so
// the declarations behind "berth-docker/browser" must stand without Node's types.
import { Docker, DockerUnsupportedError } from "berth-docker/browser";

const docker = new Docker({ url: "http://127.0.0.1:2375", init: { credentials: "include" } });
export async function render(list: HTMLElement): Promise<void> {
  for (const c of await docker.containers.list({ all: true })) {
    const item = document.createElement("li");
    item.textContent = `${c.name} ${c.attrs?.State ?? ""}`;
    list.append(item);
  }
}
export const unsupported = (e: unknown): boolean => e instanceof DockerUnsupportedError;
