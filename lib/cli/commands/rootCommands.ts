/** `tqca root …`: each command is one call of lib/ca/rootKeys as the authenticated operator. */
import { approveCeremony, cancelCeremony, listCeremonies, listRootKeys, parseRootKeyExpiry, requestRootKeyChange, requestRootKeyCreation, type CeremonyView } from '../../ca';
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

export const activate = defineCommand({
  description: 'Requests activation (PENDING → ACTIVE) of a root key; a second officer approves.',
  options: {},
  positionals: { index: indexPositional },
  run: ({ positionals }) =>
    asOperator(async (ca, operator) => answer(await requestRootKeyChange(ca, operator, 'ACTIVATE', positionals.index), 'ceremony', ceremonyText)),
});

export const retire = defineCommand({
  description: 'Requests retirement (ACTIVE → RETIRED) of a root key; a second officer approves. Certificates under it stay valid.',
  options: {},
  positionals: { index: indexPositional },
  run: ({ positionals }) =>
    asOperator(async (ca, operator) => answer(await requestRootKeyChange(ca, operator, 'RETIRE', positionals.index), 'ceremony', ceremonyText)),
});

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
