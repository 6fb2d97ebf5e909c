/**
 * drainlab's pipeline as import rules (DESIGN.md, "Pipeline"): plain data at
 * the bottom, the stages above it, the orchestrator and the commands on top.
 * Type-only imports count: tsPreCompilationDeps keeps them in the graph.
 */
const layer = (name) => `^harness/${name}/`;
const STAGES = "^harness/(stack|load|drain|faults|attach)/";
const TOP = "^harness/(run|cli|matrix|tune)/|^harness/(cli|index)\\.ts$";

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "a cycle ties stages together: move the shared type down to records/",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "util-imports-nothing",
      comment: "util/ (errors, version, sleep, text) stands on nothing of drainlab's",
      severity: "error",
      from: { path: layer("util") },
      to: { path: "^harness/", pathNot: layer("util") },
    },
    {
      name: "scenario-at-the-bottom",
      comment: "the scenario (schema, loader, lint) imports only util/",
      severity: "error",
      from: { path: layer("scenario") },
      to: { path: "^harness/", pathNot: `${layer("scenario")}|${layer("util")}` },
    },
    {
      name: "records-are-plain-data",
      comment: "records/ holds the data every stage exchanges: it imports only the scenario's types and util/",
      severity: "error",
      from: { path: layer("records") },
      to: { path: "^harness/", pathNot: `${layer("records")}|${layer("scenario")}|${layer("util")}` },
    },
    {
      name: "env-below-the-stages",
      comment: "env/ (engine, images, labels) knows nothing of stages, verdict or report",
      severity: "error",
      from: { path: layer("env") },
      to: { path: "^harness/", pathNot: `${layer("env")}|${layer("util")}|${layer("scenario")}` },
    },
    {
      name: "stages-never-judge",
      comment: "stack, load, drain and faults produce records; they never import verdict, report or what sits on top",
      severity: "error",
      from: { path: STAGES },
      to: { path: `^harness/(verdict|report)/|${TOP}` },
    },
    {
      name: "verdict-reads-records-only",
      comment: "the verdict is a pure function of records: no stage, no report, no container",
      severity: "error",
      from: { path: layer("verdict") },
      to: { path: "^harness/", pathNot: `${layer("verdict")}|${layer("records")}|${layer("scenario")}|${layer("util")}` },
    },
    {
      name: "report-reads-records-only",
      comment: "every view is drawn from the report's records alone",
      severity: "error",
      from: { path: layer("report") },
      to: { path: "^harness/", pathNot: `${layer("report")}|${layer("records")}|${layer("scenario")}|${layer("util")}` },
    },
    {
      name: "doctor-reads-records-only",
      comment:
        "doctor explains a finished run from its records, the scenario and the user's files (nginx.conf through the pure parser): no stage that runs anything, no verdict, no view; --verify gets its runner from the command",
      severity: "error",
      from: { path: layer("doctor") },
      to: {
        path: "^harness/",
        pathNot: `${layer("doctor")}|${layer("records")}|${layer("scenario")}|${layer("util")}|^harness/stack/nginx-parse\\.ts$`,
      },
    },
    {
      name: "nothing-imports-the-top",
      comment: "the orchestrator and the commands sit on top: only they import each other",
      severity: "error",
      from: { path: "^harness/", pathNot: TOP },
      to: { path: TOP },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$|/testdata/|test-records\\.ts$" },
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".mjs", ".js"] },
  },
};
