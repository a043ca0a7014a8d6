// The build code only a server runtime can use, as one module the server entry loads on demand
// and hands to the core (ClientOptions.buildSupport): the BuildKit session (secrets, ssh, registry
// auth, a directory synced through it, with its gRPC and protobuf) and the directory walker.
// images.build() never imports it itself, so no browser bundle carries it.

export { canServeSession, openSession, sessionServices } from "../../buildkit/session/session.ts";
export { packContext, syncContext } from "./context.ts";
