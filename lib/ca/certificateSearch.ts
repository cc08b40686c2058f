/**
 * The console's certificate search: filter, sort and one page of rows, counted and fetched by the
 * database (never every row into memory), over the decoded columns the certificate table keeps.
 */
import type { Prisma } from '../db/generated/client';
import { CERTIFICATE_INCLUDE, certificateView, certificateWhere, type CertificateFilter, type CertificateView } from './certificates';
import type { ExpiryWarningTier } from './expiry';
import type { ServiceContext } from './context';

export const CERTIFICATE_SORTS = ['number', 'issuer', 'serial', 'expiresAt', 'issuedAt'] as const;
export type CertificateSort = (typeof CERTIFICATE_SORTS)[number];
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 25;

export interface CertificateSearch extends CertificateFilter {
  /** Exactly this certificate number. */
  readonly number?: number;
  /** Active and ending within this many days. */
  readonly expiringWithinDays?: ExpiryWarningTier;
  readonly sort?: CertificateSort;
  readonly descending?: boolean;
  /** 1-based. */
  readonly page?: number;
  readonly pageSize?: number;
}

export interface CertificatePage {
  readonly rows: readonly CertificateView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly pages: number;
}

const DAY_MS = 86_400_000;

function orderOf(sort: CertificateSort, direction: Prisma.SortOrder): Prisma.CertificateOrderByWithRelationInput[] {
  const byNumber = { number: direction } as const;
  switch (sort) {
    case 'number':
      return [byNumber];
    case 'issuer':
      return [{ institution: { code: direction } }, byNumber];
    case 'serial':
      return [{ serial: direction }, byNumber];
    case 'expiresAt':
      return [{ expiresAt: direction }, byNumber];
    case 'issuedAt':
      return [{ issuedAt: direction }, byNumber];
  }
}

/** One page of the certificates the search selects, with the total; a page past the end is the last page. Callers parse their input (the console's query string); sizes are clamped. */
export async function searchCertificates(ctx: ServiceContext, search: CertificateSearch = {}): Promise<CertificatePage> {
  const pageSize = Math.min(Math.max(1, Math.trunc(search.pageSize ?? DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE);
  const now = ctx.now();
  const where: Prisma.CertificateWhereInput = {
    AND: [
      certificateWhere(search, now),
      search.number === undefined ? {} : { number: BigInt(search.number) },
      search.expiringWithinDays === undefined
        ? {}
        : { status: 'ACTIVE', expiresAt: { gt: now, lte: new Date(now.getTime() + search.expiringWithinDays * DAY_MS) } },
    ],
  };
  const total = await ctx.prisma.certificate.count({ where });
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(Math.max(1, Math.trunc(search.page ?? 1)), pages);
  const rows = await ctx.prisma.certificate.findMany({
    where,
    orderBy: orderOf(search.sort ?? 'number', search.descending ? 'desc' : 'asc'),
    skip: (page - 1) * pageSize,
    take: pageSize,
    include: CERTIFICATE_INCLUDE,
  });
  return { rows: rows.map((c) => certificateView(c, now)), total, page, pageSize, pages };
}
