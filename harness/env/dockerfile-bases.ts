import { DockerfileParser } from "dockerfile-ast";

/** An image a Dockerfile's FROM names, with its build args filled in. */
export interface BaseImageRef {
  /** The image reference as docker build resolves it (`debian:trixie-slim`). */
  image: string;
  /** 1-based line of the FROM. */
  line: number;
  /** The build args the reference is made of (`BASE_IMAGE` for `FROM ${BASE_IMAGE}`). */
  args: string[];
}

/**
 * The external images a Dockerfile builds on: every FROM (parsed by dockerfile-ast, the
 * parser behind VS Code's Docker support) with `$ARG`/`${ARG}`/`${ARG:-default}` resolved
 * from the build args, then the ARG defaults declared before the first FROM. `scratch`
 * and earlier stages (`FROM build`) are not images to have.
 */
export function baseImagesOf(text: string, buildArgs: Record<string, string>): BaseImageRef[] {
  const dockerfile = DockerfileParser.parse(text);
  const defaults: Record<string, string> = {};
  for (const arg of dockerfile.getInitialARGs()) {
    const p = arg.getProperty();
    const value = p?.getValue();
    if (p && value !== null && value !== undefined) defaults[p.getName()] = value;
  }
  const value = (name: string) => buildArgs[name] ?? defaults[name];
  const stages = new Set<string>();
  const refs: BaseImageRef[] = [];
  for (const from of dockerfile.getFROMs()) {
    const raw = from.getImage();
    const stage = from.getBuildStage();
    if (raw) {
      const args = from.getVariables().map((v) => v.getName());
      const image = raw.replace(/\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (_, braced: string, fallback: string | undefined, bare: string) => {
        const v = value(braced ?? bare);
        return v !== undefined && v !== "" ? v : (fallback ?? "");
      });
      if (image !== "scratch" && !stages.has(image.toLowerCase()) && !refs.some((r) => r.image === image)) {
        refs.push({ image, line: from.getRange().start.line + 1, args });
      }
    }
    if (stage) stages.add(stage.toLowerCase());
  }
  return refs;
}
