import { statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { UsageError } from "../util/errors.ts";
import { shown } from "../util/text.ts";
import type { Scenario } from "./schema.ts";

/**
 * Paths in a scenario (build contexts, nginx.conf, bodies) resolve against the
 * scenario file's folder, as a Makefile's or a compose file's do, so a run
 * works from wherever it is started. Each must exist; the error names the
 * scenario file, the field and the path.
 */
export function resolveScenarioPaths(scenario: Scenario, file: string): Scenario {
  const base = dirname(resolve(file));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const must = (path: string, field: string, kind: "file" | "folder") => {
    let ok = false;
    try {
      const st = statSync(path);
      ok = kind === "file" ? st.isFile() : st.isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) throw new UsageError(`${shown(file, 500)}: ${field}: no ${kind} ${shown(path, 500)}`);
    return path;
  };
  const system = scenario.system;
  if (system) {
    if (system.app.build) system.app.build.context = must(at(system.app.build.context), "system.app.build.context", "folder");
    system.nginx.config = must(at(system.nginx.config), "system.nginx.config", "file");
    system.nginx.files = system.nginx.files.map((f, i) => must(at(f), `system.nginx.files.${i}`, "file"));
    system.services.forEach((s, i) => {
      if (s.build) s.build.context = must(at(s.build.context), `system.services.${i}.build.context`, "folder");
    });
  }
  scenario.load.mix.forEach((k, i) => {
    if (k.body_file !== undefined) k.body_file = must(at(k.body_file), `load.mix.${i}.body_file`, "file");
    if (k.session !== undefined) k.session = must(at(k.session), `load.mix.${i}.session`, "file");
  });
  return scenario;
}
