// The cost chart of the Costs page, as inline SVG (no script, works offline, passes the UI's
// CSP): one column per UTC day, stacked by model, every segment named in text too (a <title>
// per segment, the legend, and the table under the chart).
import { html, type SafeHtml } from '@kora/plugin-web';
import type { DayCost } from './telemetry.js';

// Distinct on white and to most colour-blind eyes (Okabe–Ito); a model past the eighth repeats.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
const COL = 22;
const GAP = 6;
const HEIGHT = 160;
const AXIS = 18;

export function dayList(last: number, days: number): string[] {
  const out: string[] = [];
  const today = Math.floor(last / 86_400_000);
  for (let d = today - (days - 1); d <= today; d++) out.push(new Date(d * 86_400_000).toISOString().slice(0, 10));
  return out;
}

export function usd(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(4);
}

/** `rows` per day and model; `days` every day to draw, oldest first (a day without spend is an empty column). */
export function costChart(rows: readonly DayCost[], days: readonly string[], id = 'cost-chart'): SafeHtml {
  const models = [...new Set(rows.map((r) => r.model))].sort();
  const colour = new Map(models.map((m, i) => [m, PALETTE[i % PALETTE.length]!]));
  const perDay = new Map<string, DayCost[]>();
  for (const r of rows) perDay.set(r.day, [...(perDay.get(r.day) ?? []), r]);
  const peak = Math.max(0, ...days.map((d) => (perDay.get(d) ?? []).reduce((t, r) => t + r.costUsd, 0)));
  const scale = peak > 0 ? (HEIGHT - AXIS - 4) / peak : 0;
  const width = Math.max(days.length, 1) * (COL + GAP) + GAP;
  const columns = days.map((day, i) => {
    const x = GAP + i * (COL + GAP);
    let y = HEIGHT - AXIS;
    const segments = (perDay.get(day) ?? []).map((r) => {
      const h = Math.max(r.costUsd > 0 ? 1 : 0, r.costUsd * scale);
      y -= h;
      return html`<rect class="cost" data-model="${r.model}" x="${x}" y="${y.toFixed(1)}" width="${COL}" height="${h.toFixed(1)}" fill="${colour.get(r.model)}"><title>${day} · ${r.model} · ${usd(r.costUsd)} USD · ${r.calls} call(s)</title></rect>`;
    });
    const label = i % Math.max(1, Math.ceil(days.length / 10)) === 0 ? html`<text x="${x + COL / 2}" y="${HEIGHT - 4}" text-anchor="middle" font-size="9">${day.slice(5)}</text>` : '';
    return html`<g class="cost-day" data-day="${day}">${segments}${label}</g>`;
  });
  const total = rows.reduce((t, r) => t + r.costUsd, 0);
  const summary = rows.length === 0 ? 'no model calls' : `${usd(total)} USD in all, the costliest day ${usd(peak)} USD`;
  const legend = models.map((m) => html`<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${colour.get(m)}"></rect></svg> ${m}</li>`);
  return html`<svg class="cost-chart" id="${id}" role="img" aria-labelledby="${id}-title" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}"><title id="${id}-title">Cost per UTC day and model, ${days[0] ?? ''} to ${days.at(-1) ?? ''}: ${summary}</title><line x1="0" y1="${HEIGHT - AXIS}" x2="${width}" y2="${HEIGHT - AXIS}" stroke="#767676"></line>${columns}</svg><ul class="legend" aria-label="Models">${legend}</ul>`;
}
