// Revocation propagation over time: one bar per revocation (oldest on the left), its height the time
// until every active acquirer acknowledged a bundle listing it; a revocation still on its way is a
// marker at the baseline. Server-rendered SVG like ExpiryTimeline (no chart script, no inline styles
// under the CSP); the table below carries the same facts for screen readers, keyboard users and tests.
import { getFormatter, getTranslations } from 'next-intl/server';
import { propagationSeconds, type RevocationPropagation } from '../lib/ca';
import { cstTime } from './caText';
import { DataTable, rowClass } from './DataTable';
import { barSlot } from './ExpiryTimeline';
import { tdClass } from './ui';

const W = 720;
const H = 200;
const PAD = { left: 56, right: 12, top: 16, bottom: 36 };
const MAX_BAND = 72;

type Translate = Awaited<ReturnType<typeof getTranslations>>;

/** A duration in the largest unit that keeps it a readable whole number. */
export function durationText(t: Translate, ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return t('duration.seconds', { n: s });
  if (s < 7_200) return t('duration.minutes', { n: Math.round(s / 60) });
  if (s < 172_800) return t('duration.hours', { n: Math.round(s / 3_600) });
  return t('duration.days', { n: Math.round(s / 86_400) });
}

export async function PropagationChart({ rows, limit }: { rows: readonly RevocationPropagation[]; limit: number }) {
  const t = await getTranslations('distribution');
  const format = await getFormatter();
  const chronological = [...rows].reverse();
  const max = Math.max(1, ...chronological.map((r) => r.propagationMs ?? 0));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  // A few revocations keep narrow bars at the left rather than filling the width.
  const band = Math.min(MAX_BAND, plotW / Math.max(1, chronological.length));
  const y = (ms: number) => PAD.top + plotH - (ms / max) * plotH;
  const day = (d: Date) => format.dateTime(d, { month: 'numeric', day: 'numeric' });
  return (
    <figure aria-labelledby="propagation-title" aria-describedby="propagation-desc">
      <figcaption>
        <h2 id="propagation-title" className="text-lg font-semibold">{t('propagationTitle')}</h2>
        <p id="propagation-desc" className="text-sm text-slate-600">{t('propagationDesc', { limit })}</p>
      </figcaption>
      {rows.length === 0 ? (
        <p className="mt-2 text-sm text-slate-700">{t('propagationEmpty')}</p>
      ) : (
        <>
          <svg viewBox={`0 0 ${W} ${H}`} className="mt-3 h-auto w-full" aria-hidden="true" focusable="false">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} className="stroke-slate-400" />
            {chronological.map((r, i) => {
              const { x0, w } = barSlot(PAD.left, band, i);
              return (
                <g key={r.certificateNumber}>
                  {r.propagationMs === null ? (
                    <circle cx={x0 + w / 2} cy={y(0) - 6} r={5} className="fill-amber-500" />
                  ) : (
                    <rect x={x0} width={w} y={y(r.propagationMs)} height={y(0) - y(r.propagationMs)} className="fill-sky-700" />
                  )}
                  {chronological.length <= 24 ? (
                    <text x={x0 + w / 2} y={H - PAD.bottom + 16} textAnchor="middle" className="fill-slate-600 text-[10px]">{day(r.revokedAt)}</text>
                  ) : null}
                </g>
              );
            })}
            <text x={PAD.left - 6} y={y(max) + 4} textAnchor="end" className="fill-slate-600 text-[10px]">{durationText(t, max)}</text>
          </svg>
          <div className="mt-2 flex gap-4 text-sm text-slate-700" aria-hidden="true">
            <span><span className="mr-1 inline-block h-3 w-3 bg-sky-700 align-middle" />{t('completedLegend')}</span>
            <span><span className="mr-1 inline-block h-3 w-3 rounded-full bg-amber-500 align-middle" />{t('pendingLegend')}</span>
          </div>
          <DataTable
            testId="propagation"
            caption={t('propagationTable')}
            columns={[t('certificate'), t('revokedAt'), t('firstVersion'), t('completedAt'), t('propagation'), t('pendingAcquirers')]}
          >
            {rows.map((r) => (
              <tr key={r.certificateNumber} className={rowClass} data-testid="propagation-row" data-certificate={r.certificateNumber} data-seconds={propagationSeconds(r) ?? ''}>
                <td className={`${tdClass} font-mono`}>{r.certificateNumber}</td>
                <td className={tdClass}>{cstTime(format, r.revokedAt)}</td>
                <td className={tdClass}>{r.firstVersion ?? t('notPublished')}</td>
                <td className={tdClass}>{r.completedAt ? cstTime(format, r.completedAt) : t('pending')}</td>
                <td className={tdClass}>{r.propagationMs === null ? '—' : durationText(t, r.propagationMs)}</td>
                <td className={`${tdClass} font-mono text-xs`}>{r.pending.length === 0 ? '—' : r.pending.join(', ')}</td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </figure>
  );
}
