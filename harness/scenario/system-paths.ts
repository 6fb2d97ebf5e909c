import { dirname, isAbsolute, join, resolve } from "node:path";
import { UsageError } from "../util/errors.ts";
import { MAX_BYTES, pathProblem } from "../util/safe-file.ts";
import { shown } from "../util/text.ts";
import type { Scenario } from "./schema.ts";

/**
 * Paths in a scenario (build contexts, Dockerfiles, nginx.conf, bodies, attach's record files) resolve
 * against the scenario file's folder, as a Makefile's or a compose file's do, so a run works from wherever
 * it is started. Each is checked here, when the scenario is loaded (lint included), before any engine
 * work: a regular file under its size limit, or a folder where one is expected; a FIFO, a device or a
 * folder in a file's place is refused naming the scenario file, the field and the path. None is opened.
 */
export function resolveScenarioPaths(scenario: Scenario, file: string): Scenario {
  const base = dirname(resolve(file));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const must = (path: string, field: string, kind: "file" | "folder", maxBytes?: number) => {
    const why = pathProblem(path, kind, maxBytes);
    if (why) throw new UsageError(`${shown(file, 500)}: ${field}: ${why}`);
    return path;
  };
  const system = scenario.system;
  if (system) {
    system.nginx.config = must(at(system.nginx.config), "system.nginx.config", "file", MAX_BYTES.config);
    system.nginx.files = system.nginx.files.map((f, i) => must(at(f), `system.nginx.files.${i}`, "file", MAX_BYTES.config));
    const images = [
      { spec: system.app, field: "system.app" },
      ...system.services.map((s, i) => ({ spec: s, field: `system.services.${i}` })),
    ];
    for (const { spec, field } of images) {
      if (!spec.build) continue;
      spec.build.context = must(at(spec.build.context), `${field}.build.context`, "folder");
      // relative to the context, as `docker build -f` takes it; read before any build, so checked now
      const dockerfile = isAbsolute(spec.build.dockerfile) ? spec.build.dockerfile : join(spec.build.context, spec.build.dockerfile);
      must(dockerfile, `${field}.build.dockerfile`, "file", MAX_BYTES.config);
    }
  }
  scenario.load.mix.forEach((k, i) => {
    if (k.body_file !== undefined) k.body_file = must(at(k.body_file), `load.mix.${i}.body_file`, "file", MAX_BYTES.body);
    if (k.session !== undefined) k.session = must(at(k.session), `load.mix.${i}.session`, "file", MAX_BYTES.config);
  });
  // a record file may be written by the drain's own steps, so it need not exist yet; one that does must be a file
  const records = scenario.attach?.records;
  if (records) {
    const sources = [
      ...(records.nginx_log ? [{ source: records.nginx_log, field: "attach.records.nginx_log.file" }] : []),
      ...records.app_ledger.map((source, i) => ({ source, field: `attach.records.app_ledger.${i}.file` })),
    ];
    for (const { source, field } of sources) {
      if (!("file" in source)) continue;
      const why = pathProblem(at(source.file), "file");
      if (why && !why.startsWith("no file")) throw new UsageError(`${shown(file, 500)}: ${field}: ${why}`);
    }
  }
  return scenario;
}
