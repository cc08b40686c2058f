/**
 * Names for the statements sent to PostgreSQL (PrismaPg's statementNameGenerator), so that each
 * connection parses a statement once, and PostgreSQL may keep its plan (after five executions, a
 * generic one when it costs no more), instead of parsing and planning it at every execution: a
 * publication's first read spent 0.29 ms parsing and 0.65 ms planning per run, 0.14 ms binding
 * once named (the server's log, 10,000 certificates).
 *
 * A text is named when it is sent the second time: a text with literals made for one execution
 * (the audit head's read) stays unnamed, by the simple protocol. At most `max` texts are named per
 * client, so texts that vary without end cannot grow the server's per-connection statement cache
 * without end; later ones run unnamed, as every statement did before. A name stands for one text
 * only, in every connection of the client.
 */
export function statementNames(max = 500, candidates = 1000): (query: { readonly sql: string }) => string {
  const names = new Map<string, string>();
  let seenOnce = new Set<string>();
  return ({ sql }) => {
    const known = names.get(sql);
    if (known !== undefined) return known;
    if (names.size >= max) return UNNAMED;
    if (!seenOnce.delete(sql)) {
      if (seenOnce.size >= candidates) seenOnce = new Set();
      seenOnce.add(sql);
      return UNNAMED;
    }
    const name = `tqca_${names.size.toString(36)}`;
    names.set(sql, name);
    return name;
  };
}

/** pg runs a query without a name unprepared. */
const UNNAMED = '';
