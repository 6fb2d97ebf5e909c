/**
 * drainlab's pipeline as import rules (DESIGN.md, "Pipeline"): plain data at
 * the bottom, the stages above it as siblings (what they share is in nodes/),
 * the orchestrator and the commands on top. Every rule has a must-fail
 * control in harness/architecture.test.ts.
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
      name: "figures-stand-on-records",
      comment: "figures/ (reconciliation, percentiles, series, what a node held) is pure over records: it imports only records, the scenario and util/",
      severity: "error",
      from: { path: layer("figures") },
      to: { path: "^harness/", pathNot: `${layer("figures")}|${layer("records")}|${layer("scenario")}|${layer("util")}` },
    },
    {
      name: "clock-stands-on-records",
      comment:
        "clock/ (the wall clock read across its jumps, the run's timeline and its clock watch, the servers' clock offsets) computes on records: it imports only records and util/; its data types stay in records/clock-types.ts",
      severity: "error",
      from: { path: layer("clock") },
      to: { path: "^harness/", pathNot: `${layer("clock")}|${layer("records")}|${layer("util")}` },
    },
    {
      name: "env-below-the-stages",
      comment: "env/ (engine, images, labels) knows nothing of stages, verdict or report",
      severity: "error",
      from: { path: layer("env") },
      to: { path: "^harness/", pathNot: `${layer("env")}|${layer("util")}|${layer("scenario")}` },
    },
    {
      name: "nodes-below-the-stages",
      comment: "nodes/ (the stack handle stages act on, the health monitor, node logs) is shared by the stages and imports none of them",
      severity: "error",
      from: { path: layer("nodes") },
      to: { path: "^harness/", pathNot: `${layer("nodes")}|${layer("records")}|${layer("clock")}|${layer("scenario")}|${layer("util")}` },
    },
    {
      name: "stages-are-siblings",
      comment: "a stage never imports another stage: what two stages share moves down to nodes/, scenario/ or records/",
      severity: "error",
      from: { path: STAGES },
      to: { path: STAGES, pathNot: "^harness/$1/" },
    },
    {
      name: "only-stack-touches-containers",
      comment:
        "a container (dockerode, testcontainers) is reached only in stack/ and env/ (and the run's engine watch): a stage calls the stack handle's operations (signal, pause, exec, logs) instead",
      severity: "error",
      from: { path: "^harness/", pathNot: "^harness/(stack|env|run)/" },
      to: { path: "(^|/)node_modules/(dockerode|testcontainers)/|^(dockerode|testcontainers)$" },
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
      comment: "the verdict is a pure function of records and the figures computed from them (and the clock's reading of them): no stage, no report, no container",
      severity: "error",
      from: { path: layer("verdict") },
      to: { path: "^harness/", pathNot: `${layer("verdict")}|${layer("records")}|${layer("figures")}|${layer("clock")}|${layer("scenario")}|${layer("util")}` },
    },
    {
      name: "report-reads-records-only",
      comment: "every view is drawn from the report's records (and the figures computed from them) alone",
      severity: "error",
      from: { path: layer("report") },
      to: { path: "^harness/", pathNot: `${layer("report")}|${layer("records")}|${layer("figures")}|${layer("scenario")}|${layer("util")}` },
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
