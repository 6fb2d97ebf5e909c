/** Commander collector for repeatable options (--set, --grid). */
export const collect = (value: string, previous: string[]) => [...previous, value];

/** Progress and log lines go to stderr; results to stdout. */
export const err = (line: string) => process.stderr.write(`${line}\n`);
