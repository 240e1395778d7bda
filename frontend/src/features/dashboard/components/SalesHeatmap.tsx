import { Group, Text } from "@mantine/core";

import type { Heatmap } from "@/features/reports/api";
import { formatMetric } from "@/features/reports/metrics";
import { dateFormat, userLocale } from "@/lib/format";

/** Weekday names, Monday first (the API's weekday 0), in the user's language. */
export function weekdayNames(locale: string = userLocale(), style: "short" | "long" = "short"): string[] {
  const format = dateFormat(locale, { weekday: style, timeZone: "UTC" });
  // 1 January 2024 was a Monday.
  return Array.from({ length: 7 }, (_, i) => format.format(new Date(Date.UTC(2024, 0, 1 + i))));
}

const HOURS = Array.from({ length: 24 }, (_, h) => h);

/** One shaded cell: its size for the eye, and what it says to a reader. */
export type HeatCell = { weekday: number; hour: number; value: number; text: string };

type GridProps = {
  cells: readonly HeatCell[];
  /** The scrolling region's name ("Heatmap of net sales by weekday and hour"). */
  label: string;
  caption: string;
  /** The legend's "More …" end ("net sales"). */
  more: string;
  /** What a cell without figures says ("No sales"). */
  empty: string;
  testId?: string;
};

/** A weekday × hour table of shaded cells; each cell also says its figures to a reader. */
export function WeekdayHourHeatmap({ cells, label, caption, more, empty, testId = "heatmap" }: GridProps) {
  const byCell = new Map(cells.map((c) => [`${c.weekday}:${c.hour}`, c]));
  // Shading is only for the eye: relative sizes as numbers are fine here.
  const max = Math.max(0, ...cells.map((c) => c.value));
  const short = weekdayNames(userLocale(), "short");
  const long = weekdayNames(userLocale(), "long");
  return (
    <>
      {/* Focusable, so a keyboard user can scroll it sideways on a narrow screen. */}
      <div className="heatmap-scroll" tabIndex={0} role="region" aria-label={label}>
        <table className="heatmap" data-testid={testId}>
          <caption className="visually-hidden">{caption}</caption>
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
                  const share = cell && max > 0 ? Math.max(0, cell.value) / max : 0;
                  const text = cell ? cell.text : empty;
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
          More {more}
        </Text>
      </Group>
    </>
  );
}

/** Net sales by weekday × hour as a shaded table. */
export function SalesHeatmap({ data }: { data: Heatmap }) {
  const currency = data.currency;
  const cells = data.cells.map((c) => ({
    weekday: c.weekday,
    hour: c.hour,
    value: Number(c.net_sales),
    text: `${formatMetric("net_sales", c.net_sales, currency)}, ${c.transactions} ${c.transactions === 1 ? "transaction" : "transactions"}`,
  }));
  return (
    <WeekdayHourHeatmap
      cells={cells}
      label="Heatmap of net sales by weekday and hour"
      caption="Net sales and transactions by weekday and hour of the day"
      more="net sales"
      empty="No sales"
    />
  );
}
