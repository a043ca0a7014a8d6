// What a runnable doc block (test/engine/doc-blocks.test.ts) imports instead of "berth-docker":
// the same package, except that every client it makes labels what it creates with the running
// test's labels, so the test finds and removes whatever a block leaves behind.
import { Docker as NodeDocker, type NodeDockerOptions, type NodeEnvOptions, type Transport } from "berth-docker";

export * from "berth-docker";

/** The labels of the running test; set by the test before it imports a block. */
export const runLabels: Record<string, string> = {};
/** What clients made through this module created: "containers", "networks", "volumes". */
export const created: string[] = [];

const CREATE = /^\/v[\d.]+\/(containers|networks|volumes)\/create(\?|$)/;

/** A transport that adds `runLabels` to the body of every container, network and volume create. */
export function labelling(inner: Transport): Transport {
  return {
    get address() {
      return inner.address;
    },
    request(request) {
      if (request.method === "POST" && CREATE.test(request.path) && typeof request.body === "string") {
        const body = JSON.parse(request.body) as { Labels?: Record<string, string> };
        body.Labels = { ...body.Labels, ...runLabels };
        request = { ...request, body: JSON.stringify(body) };
        created.push(CREATE.exec(request.path)![1]!);
      }
      return inner.request(request);
    },
    connect: inner.connect?.bind(inner),
    close: inner.close?.bind(inner),
  };
}

export class Docker extends NodeDocker {
  constructor(options: NodeDockerOptions = {}) {
    const plain = new NodeDocker(options);
    super({ ...options, transport: labelling(options.transport ?? plain.client.transport) });
  }

  static override fromEnv(options: NodeEnvOptions = {}): Docker {
    return new Docker({ ...options, transport: NodeDocker.fromEnv(options).client.transport });
  }
}
