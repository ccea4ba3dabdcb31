// errno as C has it: Linux numbers, glibc texts, and one process-wide
// "last error" that every function which sets errno in C sets here too.
import { ERRNO_NAMES, ERRNO_TEXTS } from "./errno_table";

export * from "./errno_table";

let lastErrno = 0;

/** The errno left by the last library call that failed (like C's errno). */
export function getErrno(): number {
  return lastErrno;
}

/** Set the library's errno, as C code assigns `errno = EINVAL`. */
export function setErrno(value: number): void {
  /* errno is an int: anything else would be read back as a wrong errno later */
  if (!Number.isInteger(value)) throw new TypeError("setErrno: value must be an integer");
  lastErrno = value;
}

/** glibc's strerror(): "Invalid argument", or "Unknown error N". */
export function strerror(errnum: number): string {
  if (Number.isInteger(errnum) && errnum >= 0 && errnum < ERRNO_TEXTS.length) {
    return ERRNO_TEXTS[errnum];
  }
  return `Unknown error ${errnum}`;
}

/** The symbolic name of an errno number ("EINVAL"), or its decimal digits. */
export function errnoName(errnum: number): string {
  if (Number.isInteger(errnum) && errnum > 0 && errnum < ERRNO_NAMES.length) {
    return ERRNO_NAMES[errnum];
  }
  return String(errnum);
}

const BY_NAME: ReadonlyMap<string, number> = new Map(
  ERRNO_NAMES.map((name, n): [string, number] => [name, n]).filter(([, n]) => n > 0),
);

/** The errno number for a name ("EPIPE" -> 32), or 0 when unknown. */
export function errnoFromName(name: string): number {
  return BY_NAME.get(name) ?? 0;
}

/**
 * The errno C would have seen for a Node.js system error: Node reports
 * libuv's negated errno in err.errno and the name in err.code.
 * Errors without either (a JavaScript bug, an aborted stream) map to `fallback`.
 */
export function errnoFromNodeError(err: unknown, fallback = 5 /* EIO */): number {
  if (err !== null && typeof err === "object") {
    const e = err as { errno?: unknown; code?: unknown };
    if (typeof e.code === "string") {
      const n = BY_NAME.get(e.code);
      if (n !== undefined) return n;
    }
    if (typeof e.errno === "number" && e.errno < 0 && -e.errno < ERRNO_NAMES.length) {
      return -e.errno;
    }
  }
  return fallback;
}
