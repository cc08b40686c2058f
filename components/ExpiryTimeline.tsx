// The expiry timeline: certificates and root keys ending per CST month over the horizon, with the
// 7/30/90-day warning lines. Server-rendered SVG (no chart script, no inline styles under the CSP),
// with the same numbers as a table for screen readers and keyboard users.
import { getFormatter, getTranslations } from 'next-intl/server';
import { EXPIRY_WARNING_DAYS, type ExpiringItem } from '../lib/ca';

const W = 720;
const H = 200;
const PAD = { left: 36, right: 12, top: 16, bottom: 36 };
const DAY = 86_400_000;
const CST = 8 * 3_600_000;

/** Bar `i` of a bar chart whose bars stand in bands of width `band` from `left`: 70 % of its band, centred. */
export const barSlot = (left: number, band: number, i: number) => ({ x0: left + i * band + band * 0.15, w: band * 0.7 });

function monthsFrom(at: Date, horizonDays: number): { start: Date; key: string }[] {
  const shifted = new Date(at.getTime() + CST);
  const months: { start: Date; key: string }[] = [];
  for (let i = 0; ; i++) {
    const start = new Date(Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth() + i, 1) - CST);
    if (i > 0 && start.getTime() > at.getTime() + horizonDays * DAY) break;
    months.push({ start, key: `${start.getTime()}` });
  }
  return months;
}

export async function ExpiryTimeline({ at, items, horizonDays }: { at: Date; items: readonly ExpiringItem[]; horizonDays: number }) {
  const t = await getTranslations('dashboard');
  const format = await getFormatter();
  const months = monthsFrom(at, horizonDays);
  const monthIndex = (d: Date) => months.findLastIndex((m) => m.start.getTime() <= d.getTime());
  const rows = months.map((m, i) => ({
    label: format.dateTime(m.start, { year: 'numeric', month: 'short' }),
    certificates: items.filter((e) => e.kind === 'certificate' && monthIndex(e.expiresAt) === i).length,
    rootKeys: items.filter((e) => e.kind === 'rootKey' && monthIndex(e.expiresAt) === i).length,
  }));
  const max = Math.max(1, ...rows.map((r) => r.certificates + r.rootKeys));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const band = plotW / rows.length;
  const x = (d: Date) => PAD.left + ((d.getTime() - months[0].start.getTime()) / (months.at(-1)!.start.getTime() + 31 * DAY - months[0].start.getTime())) * plotW;
  const y = (n: number) => PAD.top + plotH - (n / max) * plotH;
  return (
    <figure aria-labelledby="timeline-title" aria-describedby="timeline-desc">
      <figcaption>
        <h2 id="timeline-title" className="text-lg font-semibold">{t('timelineTitle', { days: horizonDays })}</h2>
        <p id="timeline-desc" className="text-sm text-slate-600">{t('timelineDesc')}</p>
      </figcaption>
      {items.length === 0 ? <p className="mt-2 text-sm text-slate-700">{t('timelineEmpty', { days: horizonDays })}</p> : null}
      <svg viewBox={`0 0 ${W} ${H}`} className="mt-3 h-auto w-full" aria-hidden="true" focusable="false">
        <line x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} className="stroke-slate-400" />
        {rows.map((r, i) => {
          const { x0, w } = barSlot(PAD.left, band, i);
          return (
            <g key={months[i].key}>
              <rect x={x0} width={w} y={y(r.certificates)} height={y(0) - y(r.certificates)} className="fill-sky-700" />
              <rect x={x0} width={w} y={y(r.certificates + r.rootKeys)} height={y(r.certificates) - y(r.certificates + r.rootKeys)} className="fill-amber-500" />
              <text x={x0 + w / 2} y={H - PAD.bottom + 16} textAnchor="middle" className="fill-slate-600 text-[10px]">{r.label}</text>
            </g>
          );
        })}
        {EXPIRY_WARNING_DAYS.map((d) => {
          const lx = x(new Date(at.getTime() + d * DAY));
          return (
            <g key={d}>
              <line x1={lx} x2={lx} y1={PAD.top} y2={y(0)} className="stroke-red-600" strokeDasharray="4 3" />
              <text x={lx + 3} y={PAD.top + 8} className="fill-red-700 text-[10px]">{t('tier', { days: d })}</text>
            </g>
          );
        })}
        <text x={PAD.left - 6} y={y(max) + 4} textAnchor="end" className="fill-slate-600 text-[10px]">{max}</text>
      </svg>
      <div className="mt-2 flex gap-4 text-sm text-slate-700" aria-hidden="true">
        <span><span className="mr-1 inline-block h-3 w-3 bg-sky-700 align-middle" />{t('certificateCount')}</span>
        <span><span className="mr-1 inline-block h-3 w-3 bg-amber-500 align-middle" />{t('rootKeyCount')}</span>
      </div>
      <table className="sr-only">
        <caption>{t('timelineTitle', { days: horizonDays })}</caption>
        <thead>
          <tr><th scope="col">{t('month')}</th><th scope="col">{t('certificateCount')}</th><th scope="col">{t('rootKeyCount')}</th></tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={months[i].key}><th scope="row">{r.label}</th><td>{r.certificates}</td><td>{r.rootKeys}</td></tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
