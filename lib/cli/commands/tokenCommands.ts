/** `tqca token …`: each command is one call of the CA's API-token service (lib/ca/apiTokens.ts). */
import { createApiToken, findInstitution, listApiTokens, revokeApiToken, type ApiTokenScope, type ApiTokenView, type InstitutionKind } from '../../ca';
import { Code, err, ok, type Result } from '../../errors';
import { defineCommand, invalid, positional, requiredValue, value, type ArgumentParser } from '../command';
import { cliError } from '../errorCodes';
import { fixedBytesInput, instantInput } from '../inputs';
import { answer, choiceInput, details, listing } from './caSession';
import { asDatabaseOperator } from './databaseSession';

const SCOPES = ['acquirer', 'issuer', 'witness'] as const;

const nonEmpty =
  (field: string): ArgumentParser<string> =>
  (text): Result<string> =>
    text.trim() ? ok(text) : err(Code.API_TOKEN_INVALID, `${field} is empty`, { field });
const tokenId: ArgumentParser<string> = (text): Result<string> =>
  /^[0-9a-f]{16}$/.test(text) ? ok(text) : err(Code.API_TOKEN_UNKNOWN, 'a token id is 16 lowercase hex digits (the part after tqt_)', { field: 'token' });

const tokenText = (t: ApiTokenView) =>
  details({
    id: t.id,
    institution: `${t.institutionCode} (#${t.institutionId})`,
    scope: t.scope.toLowerCase(),
    label: t.label,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt.toISOString(),
    revokedAt: t.revokedAt?.toISOString(),
    revokeReason: t.revokeReason,
    lastUsedAt: t.lastUsedAt?.toISOString(),
  });

export const create = defineCommand({
  description: `Creates an API token for an institution (administrators). The scope is the institution's
kind: an acquirer's token reads roots, bundles and revocations and posts acknowledgements. The token
is printed once — give it to the institution over a protected channel; only its SM3 is stored.
A witness token (an auditor's witness: checkpoints, proofs, cosignatures) is for an institution of
any kind, named with --kind.`,
  options: {
    kind: value('<kind>', 'witness tokens: the institution’s kind (issuer | acquirer | platform)', choiceInput('kind', ['issuer', 'acquirer', 'platform'] as const)),
    label: requiredValue('<text>', 'what the token is for (e.g. the TMS host)', nonEmpty('label')),
    expires: requiredValue('<time>', 'expiry (ISO-8601), at most 2 years ahead', instantInput('expires')),
  },
  positionals: {
    scope: positional('<scope>', SCOPES.join(' | '), choiceInput('scope', SCOPES)),
    code: positional('<code>', 'the institution’s 4-byte code, 8 hex digits', fixedBytesInput('code', 4)),
  },
  run: ({ options, positionals }) =>
    asDatabaseOperator(async (ctx, operator) => {
      const scope = positionals.scope.toUpperCase() as ApiTokenScope;
      const kind = scope === 'WITNESS' ? options.kind?.toUpperCase() : scope;
      if (!kind) return invalid(cliError('USAGE', 'a witness token names its institution’s kind with --kind', { field: 'kind' }).error);
      const institution = await findInstitution(ctx, { kind: kind as InstitutionKind, code: positionals.code });
      if (!institution.ok) return invalid(institution.error);
      const created = await createApiToken(ctx, operator, { institutionId: institution.value.id, scope, label: options.label, expiresAt: options.expires });
      return answer(created, 'token', (c) => `${tokenText(c.view)}\ntoken (shown once, store it now): ${c.token}\n`);
    }),
});

export const list = defineCommand({
  description: 'Lists API tokens: id, institution, scope, expiry, revocation and last use. Secrets are never shown again.',
  options: {},
  positionals: {},
  run: () =>
    asDatabaseOperator(async (ctx) =>
      listing(await listApiTokens(ctx), 'tokens', [
        ['id', (t) => t.id],
        ['institution', (t) => t.institutionCode],
        ['scope', (t) => t.scope.toLowerCase()],
        ['label', (t) => t.label],
        ['expires', (t) => t.expiresAt.toISOString()],
        ['revoked', (t) => t.revokedAt?.toISOString()],
        ['last used', (t) => t.lastUsedAt?.toISOString()],
      ]),
    ),
});

export const revoke = defineCommand({
  description: 'Revokes an API token (administrators); the reason is audited. API processes refuse it within about a second.',
  options: { reason: requiredValue('<text>', 'why (kept in the audit log)', nonEmpty('reason')) },
  positionals: { id: positional('<id>', 'the token id: 16 hex digits after tqt_', tokenId) },
  run: ({ options, positionals }) =>
    asDatabaseOperator(async (ctx, operator) => answer(await revokeApiToken(ctx, operator, positionals.id, options.reason), 'token', tokenText)),
});

