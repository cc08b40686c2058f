/** `tqca institution …`: each command is one call of lib/ca/institutions. */
import { toHex } from '../../bytes';
import {
  approveWithdrawal,
  createInstitution,
  findInstitution,
  InstitutionKind,
  InstitutionStatus,
  listInstitutions,
  parseContacts,
  rejectWithdrawal,
  setInstitutionStatus,
  updateInstitution,
  type Contact,
  type InstitutionView,
} from '../../ca';
import { Code, err, ok, type Result } from '../../errors';
import { defineCommand, positional, requiredValue, value, type ArgumentParser } from '../command';
import { fixedBytesInput } from '../inputs';
import { answer, choiceInput, details, listing, READ_ONLY } from './caSession';
import { asDatabaseOperator } from './databaseSession';

const KINDS = Object.values(InstitutionKind).map((k) => k.toLowerCase() as Lowercase<InstitutionKind>);
const STATUSES = Object.values(InstitutionStatus).map((s) => s.toLowerCase() as Lowercase<InstitutionStatus>);
const upper = <T extends string>(text: T) => text.toUpperCase() as Uppercase<T>;

/** The most a contacts file may hold: a directory of contacts is far smaller. */
export const CONTACTS_FILE_LIMIT = 64 * 1024;

/** Contacts as JSON text, or @path to a JSON file. */
const contactsInput: ArgumentParser<Contact[]> = async (text, context) => {
  let json = text;
  if (text.startsWith('@')) {
    const file = await context.readFile(text.slice(1), CONTACTS_FILE_LIMIT);
    if (!file.ok) return file;
    json = new TextDecoder().decode(file.value);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return err(Code.CONTACTS_INVALID, 'contacts must be JSON: [{"name": …, "role"?: …, "email"?: …, "phone"?: …}]', { field: 'contacts' });
  }
  return parseContacts(parsed);
};

const nonEmpty =
  (field: string): ArgumentParser<string> =>
  (text): Result<string> =>
    text.trim() ? ok(text) : err(Code.INSTITUTION_INVALID, `${field} is empty`, { field });

const kindPositional = positional('<kind>', KINDS.join(' | '), choiceInput('kind', KINDS));
const codePositional = positional('<code>', 'the 4-byte code, 8 hex digits (for an issuer: its issuer id)', fixedBytesInput('code', 4));

const institutionText = (i: InstitutionView) =>
  details({
    id: i.id,
    kind: i.kind,
    code: toHex(i.code),
    nameZh: i.nameZh,
    nameEn: i.nameEn,
    status: i.status,
    pendingWithdrawal: i.pendingWithdrawal && `asked by operator ${i.pendingWithdrawal.requestedBy} at ${i.pendingWithdrawal.requestedAt.toISOString()}: ${i.pendingWithdrawal.reason}`,
    contacts: i.contacts.map((c) => [c.name, c.role, c.email, c.phone].filter(Boolean).join(' / ')).join('; ') || null,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  });

export const create = defineCommand({
  description: `Registers an issuer, acquirer or issuing platform (officers and administrators). The
center allocates the next free code of the kind unless --code gives one (an existing issuer id).`,
  options: {
    kind: requiredValue('<kind>', KINDS.join(' | '), choiceInput('kind', KINDS)),
    nameZh: requiredValue('<name>', 'Chinese name', nonEmpty('nameZh')),
    nameEn: value('<name>', 'English name', nonEmpty('nameEn')),
    code: value('<code>', '8 hex digits; default: allocated', fixedBytesInput('code', 4)),
    contacts: value('<json>', 'contacts: JSON array or @file.json of {name, role?, email?, phone?}', contactsInput),
  },
  positionals: {},
  run: ({ options }) =>
    asDatabaseOperator(async (ctx, operator) =>
      answer(
        await createInstitution(ctx, operator, { kind: upper(options.kind), code: options.code, nameZh: options.nameZh, nameEn: options.nameEn, contacts: options.contacts }),
        'institution',
        institutionText,
      ),
    ),
});

export const list = defineCommand({
  description: 'Lists institutions, by kind and code.',
  options: {
    kind: value('<kind>', KINDS.join(' | '), choiceInput('kind', KINDS)),
    status: value('<status>', STATUSES.join(' | '), choiceInput('status', STATUSES)),
  },
  positionals: {},
  run: ({ options }) =>
    asDatabaseOperator(async (ctx) => {
      const rows = await listInstitutions(ctx, { kind: options.kind && upper(options.kind), status: options.status && upper(options.status) });
      return listing(rows, 'institutions', [
        ['kind', (i) => i.kind],
        ['code', (i) => toHex(i.code)],
        ['status', (i) => i.status],
        ['name', (i) => i.nameZh],
        ['english name', (i) => i.nameEn],
      ]);
    }, READ_ONLY),
});

export const show = defineCommand({
  description: 'Shows one institution with its contacts.',
  options: {},
  positionals: { kind: kindPositional, code: codePositional },
  run: ({ positionals }) =>
    asDatabaseOperator(async (ctx) => answer(await findInstitution(ctx, { kind: upper(positionals.kind), code: positionals.code }), 'institution', institutionText), READ_ONLY),
});

export const update = defineCommand({
  description: 'Changes names or contacts (the kind and code never change: they are bound into certificates and records).',
  options: {
    nameZh: value('<name>', 'new Chinese name', nonEmpty('nameZh')),
    nameEn: value('<name>', 'new English name ("" removes it)', (text) => ok(text)),
    contacts: value('<json>', 'replaces all contacts: JSON array or @file.json', contactsInput),
  },
  positionals: { kind: kindPositional, code: codePositional },
  run: ({ options, positionals }) =>
    asDatabaseOperator(async (ctx, operator) =>
      answer(
        await updateInstitution(ctx, operator, { kind: upper(positionals.kind), code: positionals.code }, {
          nameZh: options.nameZh,
          nameEn: options.nameEn === undefined ? undefined : options.nameEn || null,
          contacts: options.contacts,
        }),
        'institution',
        institutionText,
      ),
    ),
});

export const status = defineCommand({
  description: `Sets the status: active ⇄ suspended, either → withdrawn (final). A reason is required and audited.
Withdrawing an issuer revokes its certificates: it only asks, and an officer other than the asker
approves (institution approve-withdrawal).`,
  options: { reason: requiredValue('<text>', 'why (kept in the audit log)', nonEmpty('reason')) },
  positionals: { kind: kindPositional, code: codePositional, status: positional('<status>', STATUSES.join(' | '), choiceInput('status', STATUSES)) },
  run: ({ options, positionals }) =>
    asDatabaseOperator(async (ctx, operator) =>
      answer(
        await setInstitutionStatus(ctx, operator, { kind: upper(positionals.kind), code: positionals.code }, upper(positionals.status), options.reason),
        'institution',
        institutionText,
      ),
    ),
});

const withdrawalPositionals = { kind: kindPositional, code: codePositional };

export const approveWithdrawalCommand = defineCommand({
  description: 'Approves the pending withdrawal of an issuer (an officer other than the one who asked): withdrawn, certificates revoked (issuerWithdrawn).',
  options: {},
  positionals: withdrawalPositionals,
  run: ({ positionals }) =>
    asDatabaseOperator(async (ctx, operator) =>
      answer(await approveWithdrawal(ctx, operator, { kind: upper(positionals.kind), code: positionals.code }), 'institution', institutionText),
    ),
});

export const rejectWithdrawalCommand = defineCommand({
  description: 'Drops the pending withdrawal of an issuer, with a reason.',
  options: { reason: requiredValue('<text>', 'why (kept in the audit log)', nonEmpty('reason')) },
  positionals: withdrawalPositionals,
  run: ({ options, positionals }) =>
    asDatabaseOperator(async (ctx, operator) =>
      answer(await rejectWithdrawal(ctx, operator, { kind: upper(positionals.kind), code: positionals.code }, options.reason), 'institution', institutionText),
    ),
});
