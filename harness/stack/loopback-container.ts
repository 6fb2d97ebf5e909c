import { GenericContainer } from "testcontainers";

// Testcontainers' reaper (ryuk) image cannot be pulled here; drainlab sweeps by label instead.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
// Published ports listen on 127.0.0.1 only, so that is where testcontainers must look. Left to
// itself it sees /.dockerenv (present on sandboxed CI machines), decides it runs in a
// container and waits on the bridge gateway's address, where nothing listens.
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";

/** A GenericContainer whose published ports listen on 127.0.0.1 only, never on every interface. */
export class LoopbackContainer extends GenericContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as Array<Array<{ HostIp?: string }>>) {
      for (const binding of bindings) binding.HostIp = "127.0.0.1";
    }
  }
}
