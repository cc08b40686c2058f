/** `tqca root …`: each command is one call of lib/ca/rootKeys as the authenticated operator. */
import { approveCeremony, cancelCeremony, listCeremonies, listRootKeys, parseRootKeyExpiry, requestRootKeyChange, requestRootKeyCreation, type CeremonyView, type RootKeyChange } from '../../ca';
import { defineCommand, flag, positional, requiredValue, valid } from '../command';
import { answer, asOperator, choiceInput, details, idPositional, READ_ONLY, rootKeyIndexInput, table } from './caSession';

const ceremonyText = (c: CeremonyView) =>
  details({
    ceremony: c.id,
    action: c.action,
    status: c.status,
    rootKeyIndex: c.rootKeyIndex,
    requestedBy: c.requestedBy,
    approvedBy: c.approvedBy,
    failure: c.failure && `${c.failure.code}: ${c.failure.reason}`,
    // A generated key the failure left: destroyed in the HSM, or still there to be removed.
    leftoverKey: c.leftoverKey,
  }) + (c.checks ? table(c.checks, [['check', (r) => r.check], ['result', (r) => (r.passed ? 'pass' : `FAIL ${r.code}`)]]) : '');

const indexPositional = positional('<index>', 'root-key index, two hex digits (01–7F production, 80–FE test)', rootKeyIndexInput('index'));

export const create = defineCommand({
  description: `Requests a new root key. The checks that need no HSM run now; a second officer's
'tqca root approve' runs every check, then the HSM generates the key and its A2 record is made.`,
  options: {
    index: requiredValue('<index>', 'root-key index, two hex digits (01–7F production, 80–FE test)', rootKeyIndexInput('index')),
    environment: requiredValue('<env>', 'production or test (must match the index range)', choiceInput('environment', ['production', 'test'] as const)),
    expiry: requiredValue('<YYMMDD>', 'last valid day of the key (CST)', (text) => parseRootKeyExpiry(text)),
  },
  positionals: {},
  run: ({ options }) =>
    asOperator(async (ca, operator) =>
      answer(
        await requestRootKeyCreation(ca, operator, {
          index: options.index,
          environment: options.environment === 'production' ? 'PRODUCTION' : 'TEST',
          expiry: options.expiry,
        }),
        'ceremony',
        ceremonyText,
      ),
    ),
});

export const approve = defineCommand({
  description: `Approves a pending ceremony. The approver must differ from the requester (and, to activate, from the key’s creator).
Under TQCA_HSM_QUORUM, K officers first activate signing at the terminal for this run.`,
  options: {},
  positionals: { ceremony: idPositional('<ceremony>', 'ceremony id') },
  run: ({ positionals }) =>
    asOperator(async (ca, operator) => answer(await approveCeremony(ca, operator, positionals.ceremony), 'ceremony', ceremonyText), { signs: true }),
});

/** A root-key transition one officer requests and a second approves ('tqca root approve'). */
const changeCommand = (action: RootKeyChange, description: string) =>
  defineCommand({
    description,
    options: {},
    positionals: { index: indexPositional },
    run: ({ positionals }) => asOperator(async (ca, operator) => answer(await requestRootKeyChange(ca, operator, action, positionals.index), 'ceremony', ceremonyText)),
  });

export const announce = changeCommand(
  'ANNOUNCE',
  `Requests announcement (PENDING → ANNOUNCED) of a root key; a second officer approves with
'tqca root approve', and the next bundle lists its A2 record for acquirers (TQ-CERT-1 §9 rollover).
It signs nothing until activated, which waits TQCA_ROOT_ANNOUNCE_LEAD_DAYS (default 90) from the approval.`,
);

export const activate = changeCommand(
  'ACTIVATE',
  `Requests activation (ANNOUNCED → ACTIVE) of a root key; a second officer approves. While another
root key is active the key must have been announced for the lead (ROOT_KEY_NOT_ANNOUNCED,
ROOT_KEY_ANNOUNCEMENT_TOO_RECENT); the first root key is activated from PENDING.`,
);

export const retire = changeCommand('RETIRE', 'Requests retirement (ACTIVE or ANNOUNCED → RETIRED) of a root key; a second officer approves. Certificates under it stay valid.');

export const cancel = defineCommand({
  description: 'Withdraws a ceremony that awaits approval.',
  options: {},
  positionals: { ceremony: idPositional('<ceremony>', 'ceremony id') },
  run: ({ positionals }) => asOperator(async (ca, operator) => answer(await cancelCeremony(ca, operator, positionals.ceremony), 'ceremony', ceremonyText)),
});

export const list = defineCommand({
  description: 'Lists root keys (with their A2 check values) and the ceremonies, or only the pending ones with --pending.',
  options: { pending: flag('list only ceremonies awaiting approval') },
  positionals: {},
  run: ({ options }) =>
    asOperator(async (ca) => {
      const keys = await listRootKeys(ca);
      const ceremonies = await listCeremonies(ca, options.pending ? { status: 'PENDING' } : {});
      const text =
        table(keys, [
          ['index', (k) => k.index],
          ['environment', (k) => k.environment],
          ['state', (k) => k.state],
          ['expiry', (k) => k.expiry],
          ['check value', (k) => k.checkValue],
        ]) +
        '\n' +
        table(ceremonies, [
          ['ceremony', (c) => c.id],
          ['action', (c) => c.action],
          ['index', (c) => c.rootKeyIndex],
          ['status', (c) => c.status],
          ['requested by', (c) => c.requestedBy],
          ['approved by', (c) => c.approvedBy],
        ]);
      return { ...valid({ rootKeys: keys as never, ceremonies: ceremonies as never }), text };
    }, READ_ONLY),
});
