import { z } from "zod";

/**
 * `system:`, the user's own stack instead of drainlab's fixture: their app
 * image (or Dockerfile), their gunicorn.conf.py or uvicorn command line, their
 * nginx.conf and the services the app needs. Their files are used as they
 * are; what drainlab changes is listed in the report (`system.overrides`).
 * Relative paths resolve against the scenario file's folder.
 */

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
/** The names drainlab's own containers take on a run's network (topology.ts nodeName, stack.ts). */
const RESERVED_NAME = /^(nginx|reaper|node-\d+)$/;
const envMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name"), z.string()).default({});

/** An image to run: a name the engine has, or a Dockerfile to build. */
const ImageSource = {
  /** An image the engine already has (no registry is needed when it is local). */
  image: z.string().min(1).optional(),
  build: z
    .strictObject({
      /** The build context folder, relative to the scenario file. */
      context: z.string().min(1).default("."),
      /** The Dockerfile, relative to the context (as `docker build -f` takes it). */
      dockerfile: z.string().min(1).default("Dockerfile"),
      args: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
};

const imageRequired = (s: { image?: string; build?: unknown }) => (s.image === undefined) !== (s.build === undefined);
const IMAGE_MESSAGE = "give either image (an image the engine has) or build (a context and Dockerfile), not both";

/** How a node is told it drains before nginx stops sending to it; its health path should then fail. */
const MarkDraining = z.union([
  z.literal("none"),
  /** Create this file inside the node (the app's health endpoint checks it). */
  z.strictObject({ file: z.string().startsWith("/") }),
  /** Call the node itself (not through nginx). */
  z.strictObject({
    http: z.strictObject({
      method: z
        .string()
        .regex(/^[A-Z]+$/)
        .default("POST"),
      path: z.string().startsWith("/"),
    }),
  }),
  /** Run a command inside the node; exit 0 means marked. */
  z.strictObject({ command: z.array(z.string()).min(1) }),
]);

const App = z
  .strictObject({
    ...ImageSource,
    /** Replaces the image's CMD; its ENTRYPOINT stays. */
    command: z.array(z.string()).min(1).optional(),
    env: envMap,
    /** The port the server listens on inside the container. */
    port: z.number().int().min(1).max(65535).default(8000),
    /** Answers 200 when the node takes traffic, anything else when it drains. */
    health_path: z.string().startsWith("/").default("/health"),
    mark_draining: MarkDraining.default("none"),
    /**
     * gunicorn settings drainlab overrides, as command-line flags (`["--graceful-timeout", "1"]`): passed
     * in GUNICORN_CMD_ARGS, which gunicorn ranks above the config file. Each is listed in the report.
     */
    gunicorn_args: z.array(z.string()).default([]),
    /** Mount drainlab's app-ledger module and activate it (sitecustomize on PYTHONPATH). */
    ledger: z.boolean().default(true),
    /** How long a node may take until every worker serves. */
    ready_timeout_s: z.number().positive().max(600).default(60),
  })
  .refine(imageRequired, { message: IMAGE_MESSAGE });

const Service = z
  .strictObject({
    /** The host name the app reaches it by on the run's network. */
    name: z
      .string()
      .regex(NAME, "lower-case letters, digits, '.', '_' or '-'")
      .refine((n) => !RESERVED_NAME.test(n), {
        message: "nginx, node-1 ... node-N and reaper are drainlab's own containers on the run's network: give the service another name",
      }),
    ...ImageSource,
    command: z.array(z.string()).min(1).optional(),
    env: envMap,
    /** Ready when this command exits 0 inside the service, or when this TCP port accepts; none: ready once started. */
    ready: z
      .union([z.strictObject({ command: z.array(z.string()).min(1) }), z.strictObject({ tcp: z.number().int().min(1).max(65535) })])
      .optional(),
    ready_timeout_s: z.number().positive().max(600).default(30),
  })
  .refine(imageRequired, { message: IMAGE_MESSAGE });

const Nginx = z.strictObject({
  /** The user's nginx.conf: a whole configuration (with http {}) or a conf.d-style file of server and upstream blocks. */
  config: z.string().min(1),
  /** The upstream block whose servers become the run's nodes. */
  upstream: z.string().regex(/^[\w.-]+$/),
  /** The user's own nginx image; default drainlab's (Debian's nginx). */
  image: z.string().min(1).optional(),
  /** Where load enters; default the first `listen` port of the server that proxies to the upstream. */
  port: z.number().int().min(1).max(65535).optional(),
  /** Files the configuration includes, copied to /etc/nginx/<name> (relative paths, from the scenario's folder). */
  files: z.array(z.string().min(1)).default([]),
});

export const System = z.strictObject({
  app: App,
  nginx: Nginx,
  services: z
    .array(Service)
    .default([])
    .refine((s) => new Set(s.map((x) => x.name)).size === s.length, { message: "service names must differ" }),
});

export type System = z.output<typeof System>;
export type SystemService = z.output<typeof Service>;
export type MarkDrainingMethod = z.output<typeof MarkDraining>;
