/**
 * Writing exports: JSON Lines (format v1, exportFormat.ts) and CSV for spreadsheets. Both stream:
 * they take the log as an async sequence of entries and checkpoints (the database reads it in
 * batches) and yield text, holding nothing but the verifier's O(log n) state.
 *
 * The JSON Lines writer verifies each line before it yields it, with the verifier an auditor runs:
 * what the console publishes is checked before it is published.
 */
import { toHex } from '../bytes';
import type { Sm2PublicKey } from '../crypto/sm2';
import { canonicalJson } from '../audit';
import { TqException } from '../errors';
import { entryLine, type LogEntry } from './entry';
import { headerLine, type CheckpointLine, type EndLine } from './exportFormat';
import { ExportVerifier, type ExportSummary } from './verify';
import { encodeBase64, type NoteKey } from './note';

/** The log in order: each checkpoint right after the entry that reaches its size. */
export type LogItem = { readonly kind: 'entry'; readonly entry: LogEntry } | { readonly kind: 'checkpoint'; readonly size: number; readonly note: string };

export interface ExportSource {
  readonly origin: string;
  readonly auditKey: Sm2PublicKey;
  readonly witnesses: readonly NoteKey[];
  readonly items: AsyncIterable<LogItem> | Iterable<LogItem>;
}

/** The export's lines, each with its newline; throws a TqException (LOG_…) if the log does not verify. */
export async function* jsonLinesExport(source: ExportSource): AsyncGenerator<string, ExportSummary> {
  const verifier = new ExportVerifier({ auditKey: source.auditKey, witnesses: source.witnesses });
  const emit = (record: object): string => {
    const text = JSON.stringify(record);
    const checked = verifier.line(text);
    if (!checked.ok) throw new TqException(checked.error);
    return `${text}\n`;
  };
  yield emit(headerLine(source.origin, source.auditKey, source.witnesses));
  for await (const item of source.items) {
    yield emit(item.kind === 'entry' ? entryLine(item.entry) : ({ type: 'checkpoint', size: item.size, note: item.note } satisfies CheckpointLine));
  }
  // The end line states what the verifier computed over the lines before it.
  const { entries, lastHash, root } = verifier.position();
  yield emit({ type: 'end', entries, lastHash: toHex(lastHash), root: encodeBase64(root) } satisfies EndLine);
  const summary = verifier.finish();
  if (!summary.ok) throw new TqException(summary.error);
  return summary.value;
}

/** Entries that make up the certificate log: issuance, revocation and expiry of certificates. */
export const isCertificateEvent = (e: LogEntry): boolean => e.objectType === 'certificate';

const CSV_COLUMNS = ['seq', 'time', 'actorId', 'actor', 'action', 'objectType', 'objectId', 'details', 'prevHash', 'hash'] as const;

/**
 * RFC 4180 fields. A field a spreadsheet would run as a formula (leading = + - @, tab or CR) gets
 * a leading apostrophe; the CSV is for reading, the JSON Lines export is the verifiable record.
 */
function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** CSV of the entries (checkpoints are not rows), optionally only the certificate log. */
export async function* csvExport(items: AsyncIterable<LogItem> | Iterable<LogItem>, options: { certificatesOnly?: boolean } = {}): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const item of items) {
    if (item.kind !== 'entry' || (options.certificatesOnly && !isCertificateEvent(item.entry))) continue;
    const e = item.entry;
    const row = [e.seq.toString(), e.time.toISOString(), e.actorId === null ? '' : String(e.actorId), e.actor, e.action, e.objectType, e.objectId, canonicalJson(e.details), toHex(e.prevHash), toHex(e.hash)];
    yield `${row.map(csvField).join(',')}\r\n`;
  }
}
