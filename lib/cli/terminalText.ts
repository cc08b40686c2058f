/**
 * Text from the database (display names, institution names, contacts, rejection reasons) as it
 * may reach a terminal: a control character or a bidirectional override in a name could move the
 * cursor, erase a line or reorder what the operator reads, and so forge rows of a table. Each is
 * written as a visible escape instead; a backslash is doubled so an escape cannot be faked.
 */

// C0, DEL, C1; the bidi embeddings/overrides U+202A–U+202E and isolates U+2066–U+2069; the line
// and paragraph separators U+2028/U+2029, which some terminals break lines at.
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => {
  if (c === '\\') return '\\\\';
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** `text` with every character that could steer a terminal shown as `\xNN` or `\uNNNN`. */
export const terminalSafe = (text: string): string => text.replace(UNSAFE, escape);
