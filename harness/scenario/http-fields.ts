import { z } from "zod";

/**
 * Request fields checked as HTTP when the scenario is loaded, so a request
 * the client cannot send is refused with its reason instead of failing every
 * request in the run and being judged the system's fault.
 */

/** The longest duration a scenario may name: a day. Node fires a timer past 2^31-1 ms (24.8 days) at once. */
export const MAX_DURATION_S = 86_400;
const TOO_LONG = `at most ${MAX_DURATION_S} s (a day); a longer wait is a typo, and past 24.8 days a timer fires at once`;
const TOO_LONG_MS = `at most ${MAX_DURATION_S * 1000} ms (a day); a longer wait is a typo, and past 24.8 days a timer fires at once`;

/** Seconds, zero allowed, at most a day. */
export const boundedSeconds = () => z.number().nonnegative().max(MAX_DURATION_S, TOO_LONG);
/** Milliseconds, zero allowed, at most a day. */
export const boundedMs = () =>
  z
    .number()
    .nonnegative()
    .max(MAX_DURATION_S * 1000, TOO_LONG_MS);

/**
 * Headers the client may not set: hop-by-hop ones (RFC 9110 7.6.1) belong to one connection, the framing
 * ones (Content-Length, Transfer-Encoding) and Host are the client's to write from the body and the url,
 * Expect is not supported by the client, and X-Request-Id is the id drainlab gives each request.
 */
const REFUSED_HEADERS: Record<string, string> = {
  connection: "a hop-by-hop header: the client manages its connections (keep-alive)",
  "keep-alive": "a hop-by-hop header: the client manages its connections",
  "proxy-connection": "a hop-by-hop header: the client manages its connections",
  te: "a hop-by-hop header the client does not send",
  trailer: "a hop-by-hop header: the client sends no trailers",
  upgrade: "a hop-by-hop header: use kind: websocket for an upgraded connection",
  "transfer-encoding": "a framing header: the client frames the body itself (from body or body_file)",
  "content-length": "a framing header: the client writes it from the body's length",
  expect: "the client does not support Expect (100-continue); every request would fail in the client",
  host: "the client writes Host from attach.url or the stack's address",
  "x-request-id": "drainlab sends its own X-Request-Id on every request (the id the ledgers are matched by)",
};

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why `name` cannot be a request header the scenario sets, or null. */
export function headerNameProblem(name: string): string | null {
  if (!HEADER_NAME.test(name)) return "not a header name: letters, digits and !#$%&'*+.^_`|~- only";
  // own keys only: a header named "constructor" is not Object's
  const key = name.toLowerCase();
  return Object.hasOwn(REFUSED_HEADERS, key) ? `${name} cannot be set: ${REFUSED_HEADERS[key]}` : null;
}

const HeaderValue = z.string().superRefine((value, ctx) => {
  const bad = /[^\t\x20-\x7e\x80-\xff]/.exec(value);
  if (bad) {
    const c = bad[0].charCodeAt(0);
    const name =
      c === 13 ? "a CR" : c === 10 ? "an LF" : c === 0 ? "a NUL" : c > 0xff ? "a character beyond Latin-1" : "a control character";
    ctx.addIssue({
      code: "custom",
      message: `holds ${name} at position ${bad.index + 1}: a header value is one line of visible text (a CR or LF would split the request)`,
    });
  }
});

/** RFC 3986: unreserved, sub-delims, ":", "@", "/", "?" and percent-encoded octets. */
const PATH_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/;

/** Why `path` is not a request target the client can send as it is, or null. */
export function pathProblem(path: string): string | null {
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === "%") {
      if (!/^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3)))
        return `"%" at position ${i + 1} does not start a percent-encoded octet (%XX); write a literal % as %25`;
      continue;
    }
    if (PATH_CHAR.test(c)) continue;
    const code = c.codePointAt(0)!;
    const what =
      c === " "
        ? "a space"
        : c === "#"
          ? '"#" (a fragment is never sent)'
          : code < 0x20 || code === 0x7f
            ? "a control character"
            : `"${c}"`;
    const encoded =
      c === "#"
        ? ""
        : `: percent-encode it (${[...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("")})`;
    return `holds ${what} at position ${i + 1}, which RFC 3986 does not allow in a path or query${encoded}`;
  }
  return null;
}

/** Methods the client refuses to send (undici): CONNECT opens a tunnel, not a request. */
const UNSENDABLE_METHODS: Record<string, string> = {
  CONNECT: "CONNECT opens a proxy tunnel, not a request; the client cannot send it",
  TRACK: "TRACK is not an HTTP method a server answers (a legacy IIS probe)",
};

export const Method = z
  .string()
  .regex(/^[A-Z]+$/, "an HTTP method in capitals, e.g. GET")
  .max(20, "at most 20 letters")
  .superRefine((m, ctx) => {
    if (Object.hasOwn(UNSENDABLE_METHODS, m)) ctx.addIssue({ code: "custom", message: UNSENDABLE_METHODS[m]! });
  });

/** A mix entry's headers: each name and value checked, each refusal at its own field (a record's key issue would say only "Invalid key"). */
export const Headers = z.record(z.string(), HeaderValue).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    const why = headerNameProblem(name);
    if (why) ctx.addIssue({ code: "custom", path: [name], message: why });
  }
});
