/**
 * API tokens of machine clients (acquirers' TMS, later issuers): an administrator creates one for
 * an institution, the secret is shown once and only its SM3 is stored. A token reads
 * `tqt_<public id: 16 hex>_<secret: 32 random bytes, base64url>`; the public id finds the row, the
 * secret is compared by hash in constant time.
 *
 * SM3 rather than a slow password hash: the secret is 256 random bits, so there is nothing to
 * guess and no salt or work factor adds anything; SM3 because the clearing center's other digests
 * (audit chain, check values, manifests) are SM3, the national standard its assessment expects.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { appendAuditEvent } from '../audit';
import { sm3 } from '../crypto/sm3';
import { ApiTokenScope, InstitutionKind, type Prisma } from '../db/generated/client';
import { err, ok, type Result } from '../errors';
import { checkRole, type Operator, type ServiceContext } from './context';
import { requireActiveOperator } from './operators';
import { refuse, transact } from './transaction';

export { ApiTokenScope };

const TOKEN = /^tqt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const MAX_LIFETIME_MS = 2 * 366 * 24 * 3600 * 1000;
/** last_used_at is written at most this often per token: no database write per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** The institution kind each scope is for (null: any; an auditor's witness may be run by any institution). */
const SCOPE_KIND: Readonly<Record<ApiTokenScope, InstitutionKind | null>> = { ACQUIRER: 'ACQUIRER', ISSUER: 'ISSUER', WITNESS: null };

export interface ApiTokenView {
  readonly id: string;
  readonly institutionId: number;
  readonly institutionCode: string;
  readonly scope: ApiTokenScope;
  readonly label: string;
  readonly createdBy: number;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly revokeReason: string | null;
  readonly lastUsedAt: Date | null;
}

export interface NewApiToken {
  readonly institutionId: number;
  readonly scope: ApiTokenScope;
  readonly label: string;
  readonly expiresAt: Date;
}

/** A token as presented: parsed once at the edge. */
export interface PresentedToken {
  readonly publicId: string;
  readonly secret: Uint8Array;
}

/** The caller an accepted token stands for. */
export interface ApiClient {
  readonly tokenId: number;
  readonly publicId: string;
  readonly institutionId: number;
  readonly institutionCode: string;
  readonly scope: ApiTokenScope;
}

const INCLUDE = { institution: { select: { code: true } } } as const;
type Row = Prisma.ApiTokenGetPayload<{ include: typeof INCLUDE }>;

function view(row: Row): ApiTokenView {
  return {
    id: row.publicId,
    institutionId: row.institutionId,
    institutionCode: Buffer.from(row.institution.code).toString('hex'),
    scope: row.scope,
    label: row.label,
    createdBy: row.createdById,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    revokeReason: row.revokeReason,
    lastUsedAt: row.lastUsedAt,
  };
}

/** `tqt_…` text → its parts, or null when it is not a token's shape. */
export function parseApiToken(text: string): PresentedToken | null {
  const m = TOKEN.exec(text);
  if (!m) return null;
  const secret = Buffer.from(m[2]!, 'base64url');
  // base64url of 32 bytes is 43 characters whose last one carries 4 padding bits: refuse non-canonical ones.
  if (secret.length !== 32 || secret.toString('base64url') !== m[2]) return null;
  return { publicId: m[1]!, secret: new Uint8Array(secret) };
}

/** Administrators create a token for an institution; the answer holds the secret, which is never shown again. */
export async function createApiToken(ctx: ServiceContext, actor: Operator, input: NewApiToken): Promise<Result<{ token: string; view: ApiTokenView }>> {
  const role = checkRole(actor, ['ADMIN'], 'create API tokens');
  if (!role.ok) return role;
  const label = input.label.trim();
  const now = ctx.now();
  if (label === '') return err('API_TOKEN_INVALID', 'the token needs a label', { field: 'label' });
  const lifetime = input.expiresAt.getTime() - now.getTime();
  if (!(lifetime > 0 && lifetime <= MAX_LIFETIME_MS)) {
    return err('API_TOKEN_INVALID', 'the expiry must lie in the future, at most 2 years ahead', { field: 'expiresAt', details: { expiresAt: input.expiresAt.toISOString() } });
  }
  const publicId = randomBytes(8).toString('hex');
  const secret = randomBytes(32);
  const created = await transact(ctx.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    const institution = await tx.institution.findUnique({ where: { id: input.institutionId } });
    if (!institution) refuse('INSTITUTION_NOT_FOUND', `no institution has id ${input.institutionId}`, { field: 'institution' });
    const kind = SCOPE_KIND[input.scope];
    if (kind !== null && institution.kind !== kind) {
      refuse('API_TOKEN_SCOPE_KIND', `scope ${input.scope} is for ${SCOPE_KIND[input.scope]} institutions, not ${institution.kind}`, { details: { scope: input.scope, kind: institution.kind } });
    }
    if (institution.status !== 'ACTIVE') refuse('API_INSTITUTION_INACTIVE', `institution ${input.institutionId} is ${institution.status}`, { field: 'institution' });
    const row = await tx.apiToken.create({
      data: { publicId, secretHash: new Uint8Array(sm3(secret)), institutionId: institution.id, scope: input.scope, label, createdById: actor.id, createdAt: now, expiresAt: input.expiresAt },
      include: INCLUDE,
    });
    await appendAuditEvent(tx, {
      actor,
      action: 'apiToken.create',
      objectType: 'apiToken',
      objectId: publicId,
      details: { institutionId: institution.id, scope: input.scope, label, expiresAt: input.expiresAt },
      time: now,
    });
    return row;
  });
  if (!created.ok) return created;
  return ok({ token: `tqt_${publicId}_${secret.toString('base64url')}`, view: view(created.value) });
}

export async function revokeApiToken(ctx: ServiceContext, actor: Operator, publicId: string, reason: string): Promise<Result<ApiTokenView>> {
  const role = checkRole(actor, ['ADMIN'], 'revoke API tokens');
  if (!role.ok) return role;
  if (reason.trim() === '') return err('API_TOKEN_INVALID', 'a revocation needs a reason', { field: 'reason' });
  const now = ctx.now();
  return transact(ctx.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    const [locked] = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM api_token WHERE public_id = ${publicId} FOR UPDATE`;
    if (!locked) refuse('API_TOKEN_UNKNOWN', `no API token has id ${publicId}`, { field: 'token' });
    const current = await tx.apiToken.findUniqueOrThrow({ where: { id: locked.id } });
    if (current.revokedAt) refuse('API_TOKEN_ALREADY_REVOKED', `API token ${publicId} was revoked at ${current.revokedAt.toISOString()}`);
    const row = await tx.apiToken.update({ where: { id: locked.id }, data: { revokedAt: now, revokedById: actor.id, revokeReason: reason.trim() }, include: INCLUDE });
    await appendAuditEvent(tx, { actor, action: 'apiToken.revoke', objectType: 'apiToken', objectId: publicId, details: { reason: reason.trim() }, time: now });
    return view(row);
  });
}

export async function listApiTokens(ctx: ServiceContext, filter: { institutionId?: number } = {}): Promise<ApiTokenView[]> {
  const rows = await ctx.prisma.apiToken.findMany({ where: { institutionId: filter.institutionId }, include: INCLUDE, orderBy: { id: 'asc' } });
  return rows.map(view);
}

/**
 * What an API process holds about a token between requests: enough to accept or refuse it
 * without the database (the API's token cache keeps these; lib/api/tokenCache.ts).
 */
export interface TokenRecord {
  readonly client: ApiClient;
  readonly secretHash: Uint8Array;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly institutionActive: boolean;
}

/** The token's record, or null when no token has this public id. */
export async function loadTokenRecord(ctx: ServiceContext, publicId: string): Promise<TokenRecord | null> {
  const row = await ctx.prisma.apiToken.findUnique({ where: { publicId }, include: { institution: { select: { code: true, status: true } } } });
  if (!row) return null;
  return {
    client: { tokenId: row.id, publicId: row.publicId, institutionId: row.institutionId, institutionCode: Buffer.from(row.institution.code).toString('hex'), scope: row.scope },
    secretHash: new Uint8Array(row.secretHash),
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    institutionActive: row.institution.status === 'ACTIVE',
  };
}

/**
 * Accepts a presented token against its record (null: unknown id) for an endpoint of `scope`.
 * Unknown id and wrong secret answer alike; expiry and revocation are told only to a caller who
 * proved the secret. Pure: the caller decides where the record comes from.
 */
/** `scopes`: the scopes an endpoint serves (GET /roots serves acquirers and issuers alike). */
export function checkToken(record: TokenRecord | null, presented: PresentedToken, scopes: ApiTokenScope | readonly ApiTokenScope[], now: Date): Result<ApiClient> {
  const allowed: readonly ApiTokenScope[] = typeof scopes === 'string' ? [scopes] : scopes;
  // Hash even for an unknown id, so both refusals cost the same.
  const presentedHash = sm3(presented.secret);
  const stored = record?.secretHash ?? new Uint8Array(32);
  const matches = timingSafeEqual(presentedHash, stored) && record !== null;
  if (!matches) return err('API_CREDENTIALS_REJECTED', 'the bearer token is not accepted');
  if (record.revokedAt) return err('API_TOKEN_REVOKED', `token ${record.client.publicId} was revoked`, { details: { revokedAt: record.revokedAt.toISOString() } });
  if (record.expiresAt.getTime() <= now.getTime()) return err('API_TOKEN_EXPIRED', `token ${record.client.publicId} expired`, { details: { expiresAt: record.expiresAt.toISOString() } });
  if (!record.institutionActive) return err('API_INSTITUTION_INACTIVE', 'the token’s institution is not active');
  if (!allowed.includes(record.client.scope)) {
    const required = allowed.map((s) => s.toLowerCase()).join(' or ');
    return err('API_SCOPE_FORBIDDEN', `this endpoint needs scope ${required}`, { details: { scope: record.client.scope.toLowerCase(), required } });
  }
  return ok(record.client);
}

/** Records that a token was used (callers write at most once per LAST_USED_RESOLUTION_MS per token). */
export async function touchApiToken(ctx: ServiceContext, tokenId: number, at: Date): Promise<void> {
  await ctx.prisma.apiToken.update({ where: { id: tokenId }, data: { lastUsedAt: at } });
}

/**
 * A marker that changes whenever a token is created or revoked or an institution's status changes: API
 * processes poll it (one cheap query a second) and drop their cached token records when it moves.
 */
export async function tokenStateMarker(ctx: ServiceContext): Promise<string> {
  const [row] = await ctx.prisma.$queryRaw<{ tokens: bigint; revoked: bigint; created: Date | null; last: Date | null; inst: Date | null }[]>`
    SELECT count(*) AS tokens, count(revoked_at) AS revoked, max(created_at) AS created, max(revoked_at) AS last,
           (SELECT max(updated_at) FROM institution) AS inst
      FROM api_token`;
  return [row?.tokens, row?.revoked, row?.created?.toISOString(), row?.last?.toISOString(), row?.inst?.toISOString()].join('|');
}

