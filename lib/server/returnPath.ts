/** A return path from a form or query: only a path on this site ("/…", never "//host" or a URL). */
export function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : '/';
}
