// What only server runtimes (Node, Bun, Deno) use: the Docker CLI's configuration (environment,
// contexts, config.json), registry credential helpers, and build contexts packed from a
// directory. Runtime-agnostic code, but kept out of the browser entry, which has no files to read.

export { resolveEndpoint, currentContextName, type ResolvedEndpoint, type ResolveOptions, type TlsMaterial } from "./config/resolve.ts";
export { loadDockerConfig, type ConfigFs, type DockerConfigFile, type Env } from "./config/config-file.ts";
export { CredentialResolver, type CredentialResolverOptions, type HelperOutput, type RunHelper } from "./config/credentials.ts";
export { packContext } from "./build/context.ts";
export { ContextStore, type ContextCreateOptions, type ContextInfo, type ContextStoreFs } from "./config/contexts.ts";
export { proxyVariables } from "../config/proxies.ts";
export type { ProxyConfig } from "./config/config-file.ts";
