// The notifications form's state and rules, apart from the components (tested on their own):
// what the API's settings become in the form, what the form sends back (the whole desired
// state), and what is wrong with it before it is sent.
import type { DigestFrequency, DigestSettings, Notifications, NotificationsUpdate } from "@/features/notifications/api";

export type DigestForm = {
  enabled: boolean;
  localHour: number;
  weekday: number;
  metrics: string[];
  includeLeague: boolean;
};

export type NotificationsForm = {
  daily: DigestForm;
  weekly: DigestForm;
  alertsEmail: boolean;
};

export const FREQUENCIES: DigestFrequency[] = ["daily", "weekly"];

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** What a digest holds until someone chooses (the API's defaults). */
export const DEFAULT_DIGEST: DigestForm = {
  enabled: false,
  localHour: 7,
  weekday: 0,
  metrics: [
    "net_sales",
    "transactions",
    "average_transaction_value",
    "units_per_transaction",
    "footfall",
    "conversion_rate",
  ],
  includeLeague: true,
};

/** "07:00" */
export function hourLabel(hour: number): string {
  return `${String(hour).padStart(2, "0")}:00`;
}

export const HOURS = Array.from({ length: 24 }, (_, hour) => ({ value: String(hour), label: hourLabel(hour) }));

function digestForm(settings: DigestSettings | undefined): DigestForm {
  if (!settings) return { ...DEFAULT_DIGEST, metrics: [...DEFAULT_DIGEST.metrics] };
  return {
    enabled: settings.enabled,
    localHour: settings.local_hour,
    weekday: settings.weekday,
    metrics: [...(settings.metrics ?? DEFAULT_DIGEST.metrics)],
    includeLeague: settings.include_league,
  };
}

export function fromSettings(settings: Notifications): NotificationsForm {
  const find = (frequency: DigestFrequency) => settings.digests.find((d) => d.frequency === frequency);
  return {
    daily: digestForm(find("daily")),
    weekly: digestForm(find("weekly")),
    alertsEmail: settings.alerts.email,
  };
}

/** The whole desired state, both digests (each on or off) and the alerts switch. */
export function toUpdate(form: NotificationsForm): NotificationsUpdate {
  return {
    digests: FREQUENCIES.map((frequency) => {
      const digest = form[frequency];
      return {
        frequency,
        enabled: digest.enabled,
        local_hour: digest.localHour,
        weekday: digest.weekday,
        metrics: digest.metrics as DigestSettings["metrics"],
        include_league: digest.includeLeague,
      };
    }),
    alerts: { email: form.alertsEmail },
  };
}

/** What stops the form from being saved, by field ("daily.metrics"); empty when nothing. */
export function problems(form: NotificationsForm): Record<string, string> {
  const found: Record<string, string> = {};
  for (const frequency of FREQUENCIES) {
    if (form[frequency].metrics.length === 0) {
      found[`${frequency}.metrics`] = "Choose at least one figure";
    }
  }
  return found;
}

export function sameForm(a: NotificationsForm, b: NotificationsForm): boolean {
  return JSON.stringify(toUpdate(a)) === JSON.stringify(toUpdate(b));
}

/** When a digest goes out, in words: "Every day at 07:00" / "Every Monday at 07:00". */
export function schedule(frequency: DigestFrequency, digest: DigestForm): string {
  const at = hourLabel(digest.localHour);
  return frequency === "daily" ? `Every day at ${at}` : `Every ${WEEKDAYS[digest.weekday] ?? "Monday"} at ${at}`;
}
