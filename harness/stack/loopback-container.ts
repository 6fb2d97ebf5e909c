import { GenericContainer } from "testcontainers";

// Testcontainers' reaper (ryuk) image cannot be pulled here; drainlab sweeps by label instead.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";

/** A GenericContainer whose published ports listen on 127.0.0.1 only, never on every interface. */
export class LoopbackContainer extends GenericContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as Array<Array<{ HostIp?: string }>>) {
      for (const binding of bindings) binding.HostIp = "127.0.0.1";
    }
  }
}
