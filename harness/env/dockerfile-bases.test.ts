import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { baseImagesOf } from "./dockerfile-bases.ts";

describe("baseImagesOf", () => {
  it("resolves build args, then ARG defaults, and skips scratch and earlier stages", () => {
    const text = readFileSync(new URL("testdata/multi-stage.Dockerfile", import.meta.url), "utf8");
    expect(baseImagesOf(text, {})).toEqual([
      { image: "debian:trixie-slim", line: 3, args: ["BASE_IMAGE"] },
      { image: "python:3.13-slim", line: 6, args: ["PY"] },
    ]);
    expect(baseImagesOf(text, { BASE_IMAGE: "drainlab/debian-base:trixie", PY: "3.12" }).map((r) => r.image)).toEqual([
      "drainlab/debian-base:trixie",
      "python:3.12-slim",
    ]);
  });

  it("reads a continued FROM line and a lower-case stage reference", () => {
    expect(baseImagesOf("from \\\n  alpine:3 as Base\nFROM base\n", {})).toEqual([{ image: "alpine:3", line: 1, args: [] }]);
  });
});
