// The Costs page of the admin UI (contributed to `web.page`): the rung, each window against its
// budget, the chart per day and model, the same figures as a table, and the last resets.
import { html, type SafeHtml, type WebPage } from '@kora/plugin-web';
import type { TelemetryHolder } from './daemon.js';
import { DAEMON_NAME } from './daemon.js';
import { costChart, dayList, usd } from './chart.js';
import { costsAnswer, parseDays } from './routes.js';

export function costsPage(holder: TelemetryHolder, chartDays: number, now: () => number): WebPage {
  return {
    path: '/costs',
    title: 'Costs',
    async render(request): Promise<SafeHtml> {
      const days = parseDays(request.query.days, chartDays);
      const wanted = typeof days === 'string' ? chartDays : days;
      const answer = await costsAnswer(holder, wanted);
      if (!answer) return html`<p class="problem">The cost telemetry is not running (daemon ${DAEMON_NAME}): see the Daemons page for its error.</p>`;
      const windows = answer.windows.map(
        (w) =>
          html`<tr data-window="${w.window}"><th scope="row">${w.window}</th><td>${new Date(w.since).toISOString()}</td><td>${w.calls}</td><td>${usd(w.costUsd)}</td><td>${w.budgetUsd === null ? 'none' : usd(w.budgetUsd)}</td><td>${w.budgetUsd === null ? '' : `${Math.round((w.costUsd / w.budgetUsd) * 100)} %`}</td><td>${w.rung ?? ''}</td></tr>`,
      );
      const rows = answer.daily.map((r) => html`<tr><td>${r.day}</td><td>${r.model}</td><td>${r.calls}</td><td>${usd(r.costUsd)}</td></tr>`);
      const resets = answer.resets.map((r) => html`<tr><td>${r.window}</td><td>${r.period}</td><td>${new Date(r.at).toISOString()}</td><td>${usd(r.closedCostUsd)}</td><td>${r.closedRung}</td></tr>`);
      return html`<p>Cost rung: <strong id="cost-rung">${answer.rung}</strong>${answer.at === null ? '' : html` (summed ${new Date(answer.at).toISOString()})`}</p>
<table><caption>Windows</caption><thead><tr><th scope="col">window</th><th scope="col">since</th><th scope="col">calls</th><th scope="col">cost USD</th><th scope="col">budget USD</th><th scope="col">used</th><th scope="col">rung</th></tr></thead><tbody>${windows}</tbody></table>
<h2>Per day and model, the last ${wanted} days (UTC)</h2>
${costChart(answer.daily, dayList(now(), wanted))}
<table><caption>Cost per day and model</caption><thead><tr><th scope="col">day</th><th scope="col">model</th><th scope="col">calls</th><th scope="col">cost USD</th></tr></thead><tbody>${rows.length ? rows : html`<tr><td colspan="4">No model calls.</td></tr>`}</tbody></table>
<table><caption>Recent resets</caption><thead><tr><th scope="col">window</th><th scope="col">period</th><th scope="col">at</th><th scope="col">closed at USD</th><th scope="col">closed rung</th></tr></thead><tbody>${resets.length ? resets : html`<tr><td colspan="5">None yet.</td></tr>`}</tbody></table>`;
    },
  };
}
