import { Group, Text } from "@mantine/core";

import type { Heatmap } from "@/features/reports/api";
import { formatMetric } from "@/features/reports/metrics";
import { userLocale } from "@/lib/format";

/** Weekday names, Monday first (the API's weekday 0), in the user's language. */
export function weekdayNames(locale: string = userLocale(), style: "short" | "long" = "short"): string[] {
  const format = new Intl.DateTimeFormat(locale, { weekday: style, timeZone: "UTC" });
  // 1 January 2024 was a Monday.
  return Array.from({ length: 7 }, (_, i) => format.format(new Date(Date.UTC(2024, 0, 1 + i))));
}

const HOURS = Array.from({ length: 24 }, (_, h) => h);

/** Net sales by weekday × hour as a shaded table; each cell also says its figures to a reader. */
export function SalesHeatmap({ data }: { data: Heatmap }) {
  const currency = data.currency;
  const byCell = new Map(data.cells.map((c) => [`${c.weekday}:${c.hour}`, c]));
  // Shading is only for the eye: relative sizes as numbers are fine here.
  const max = Math.max(0, ...data.cells.map((c) => Number(c.net_sales)));
  const short = weekdayNames(userLocale(), "short");
  const long = weekdayNames(userLocale(), "long");
  return (
    <>
      {/* Focusable, so a keyboard user can scroll it sideways on a narrow screen. */}
      <div className="heatmap-scroll" tabIndex={0} role="region" aria-label="Heatmap of net sales by weekday and hour">
        <table className="heatmap" data-testid="heatmap">
          <caption className="visually-hidden">
            Net sales and transactions by weekday and hour of the day
          </caption>
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Weekday</span>
              </th>
              {HOURS.map((h) => (
                <th key={h} scope="col" aria-label={`${String(h).padStart(2, "0")}:00`}>
                  {h % 3 === 0 ? String(h).padStart(2, "0") : ""}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {short.map((name, weekday) => (
              <tr key={weekday}>
                <th scope="row" aria-label={long[weekday]}>
                  {name}
                </th>
                {HOURS.map((hour) => {
                  const cell = byCell.get(`${weekday}:${hour}`);
                  const sales = cell ? Number(cell.net_sales) : 0;
                  const share = max > 0 ? Math.max(0, sales) / max : 0;
                  const text = cell
                    ? `${formatMetric("net_sales", cell.net_sales, currency)}, ${cell.transactions} ${cell.transactions === 1 ? "transaction" : "transactions"}`
                    : "No sales";
                  return (
                    <td
                      key={hour}
                      title={`${long[weekday]} ${String(hour).padStart(2, "0")}:00 — ${text}`}
                      style={{
                        background:
                          share > 0
                            ? `rgba(54, 79, 199, ${(0.12 + 0.88 * share).toFixed(3)})`
                            : "var(--mantine-color-gray-1)",
                      }}
                    >
                      <span className="visually-hidden">{text}</span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Group gap="xs" mt="xs" align="center">
        <Text size="xs" c="gray.7">
          Less
        </Text>
        {[0.12, 0.34, 0.56, 0.78, 1].map((a) => (
          <span
            key={a}
            aria-hidden
            style={{ width: 16, height: 12, borderRadius: 2, background: `rgba(54, 79, 199, ${a})` }}
          />
        ))}
        <Text size="xs" c="gray.7">
          More net sales
        </Text>
      </Group>
    </>
  );
}
