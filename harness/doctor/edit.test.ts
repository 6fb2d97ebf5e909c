import { describe, expect, it } from "vitest";
import { unifiedDiff } from "./diff.ts";
import { setYamlValue } from "./yaml-edit.ts";

describe("unifiedDiff", () => {
  it("one hunk per change, three lines of context, a/ and b/ paths", () => {
    const before = `${["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"].join("\n")}\n`;
    const after = before.replace("b\n", "B\n").replace("k\n", "K\nK2\n");
    expect(unifiedDiff("x.txt", before, after)).toBe(
      [
        "--- a/x.txt",
        "+++ b/x.txt",
        "@@ -1,5 +1,5 @@",
        " a",
        "-b",
        "+B",
        " c",
        " d",
        " e",
        "@@ -8,5 +8,6 @@",
        " h",
        " i",
        " j",
        "-k",
        "+K",
        "+K2",
        " l",
        "",
      ].join("\n"),
    );
  });

  it("nothing for equal texts; a line added at the end of a file without a final newline says so", () => {
    expect(unifiedDiff("x", "a\n", "a\n")).toBe("");
    expect(unifiedDiff("x", "a", "a\nb")).toBe(
      ["--- a/x", "+++ b/x", "@@ -1,1 +1,2 @@", "-a", "\\ No newline at end of file", "+a", "+b", "\\ No newline at end of file", ""].join(
        "\n",
      ),
    );
  });
});

describe("setYamlValue", () => {
  it("replaces a value in a flow map and keeps every other byte", () => {
    const text = "stack:\n  # the limit\n  gunicorn: { workers: 2, graceful_timeout_s: 1 } # short\n";
    const e = setYamlValue(text, ["stack", "gunicorn", "graceful_timeout_s"], 4);
    expect(e.text).toBe("stack:\n  # the limit\n  gunicorn: { workers: 2, graceful_timeout_s: 4 } # short\n");
    expect(e).toMatchObject({ line: 3, was: "1" });
  });

  it("adds a key to a flow map, to a block map at its indentation, and a missing map as a flow map", () => {
    expect(setYamlValue("a: { b: 1 }\n", ["a", "c"], 2).text).toBe("a: { b: 1, c: 2 }\n");
    expect(setYamlValue("drain:\n  at_s: 3\n  # end\nload: {}\n", ["drain", "stop_wait_s"], 9).text).toBe(
      "drain:\n  at_s: 3\n  stop_wait_s: 9\n  # end\nload: {}\n",
    );
    expect(setYamlValue("stack:\n  nodes: 2\n", ["stack", "nginx", "max_fails"], 1).text).toBe(
      "stack:\n  nodes: 2\n  nginx: { max_fails: 1 }\n",
    );
  });

  it("edits an entry of a list by index, quoting a string that needs it", () => {
    const text = 'gunicorn_args: ["--graceful-timeout", "1"]\n';
    expect(setYamlValue(text, ["gunicorn_args", 1], "9").text).toBe('gunicorn_args: ["--graceful-timeout", "9"]\n');
  });
});
