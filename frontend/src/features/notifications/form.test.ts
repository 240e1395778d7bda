import { describe, expect, it } from "vitest";

import type { Notifications } from "@/features/notifications/api";
import { DEFAULT_DIGEST, fromSettings, problems, sameForm, schedule, toUpdate } from "@/features/notifications/form";

const read: Notifications = {
  digests: [
    {
      frequency: "weekly",
      enabled: true,
      local_hour: 8,
      weekday: 4,
      metrics: ["footfall", "net_sales"],
      include_league: false,
    },
    {
      frequency: "daily",
      enabled: false,
      local_hour: 7,
      weekday: 0,
      metrics: ["net_sales"],
      include_league: true,
    },
  ],
  alerts: { email: false },
};

describe("the notifications form", () => {
  it("reads the API's settings whatever their order and sends back the whole state", () => {
    const form = fromSettings(read);
    expect(form.weekly).toEqual({ enabled: true, localHour: 8, weekday: 4, metrics: ["footfall", "net_sales"], includeLeague: false });
    expect(form.alertsEmail).toBe(false);
    expect(toUpdate(form)).toEqual({
      digests: [
        { frequency: "daily", enabled: false, local_hour: 7, weekday: 0, metrics: ["net_sales"], include_league: true },
        { frequency: "weekly", enabled: true, local_hour: 8, weekday: 4, metrics: ["footfall", "net_sales"], include_league: false },
      ],
      alerts: { email: false },
    });
    expect(sameForm(form, fromSettings(read))).toBe(true);
    expect(sameForm({ ...form, daily: { ...form.daily, localHour: 6 } }, form)).toBe(false);
  });

  it("a digest the API does not list reads as off with the defaults", () => {
    const form = fromSettings({ digests: [], alerts: { email: true } });
    expect(form.daily).toEqual(DEFAULT_DIGEST);
    expect(form.daily.metrics).not.toBe(DEFAULT_DIGEST.metrics);
  });

  it("an empty choice of figures is named before anything is sent", () => {
    const form = fromSettings(read);
    expect(problems(form)).toEqual({});
    expect(problems({ ...form, weekly: { ...form.weekly, metrics: [] } })).toEqual({
      "weekly.metrics": "Choose at least one figure",
    });
  });

  it("says when each digest goes out", () => {
    const form = fromSettings(read);
    expect(schedule("weekly", form.weekly)).toBe("Every Friday at 08:00");
    expect(schedule("daily", { ...form.daily, localHour: 0 })).toBe("Every day at 00:00");
  });
});
