import {
  Alert,
  Button,
  Checkbox,
  Group,
  MultiSelect,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Title,
} from "@mantine/core";
import { type FormEvent, useEffect, useMemo, useState } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { useRegisteredCatalog } from "@/features/catalog/registry";
import {
  type DigestFrequency,
  type Owner,
  useNotifications,
  usePreviewDigest,
  useSaveNotifications,
} from "@/features/notifications/api";
import {
  type DigestForm,
  FREQUENCIES,
  fromSettings,
  HOURS,
  type NotificationsForm as FormState,
  problems,
  sameForm,
  schedule,
  toUpdate,
  WEEKDAYS,
} from "@/features/notifications/form";
import { ApiError, errorMessage } from "@/lib/api";

const TITLES: Record<DigestFrequency, { title: string; help: string }> = {
  daily: {
    title: "Daily digest",
    help: "Yesterday's figures against the same day last week, per store and in total.",
  },
  weekly: {
    title: "Weekly digest",
    help: "Last week, Monday to Sunday, against the week before, per store and in total.",
  },
};

type Props = {
  /** Whose settings: one's own, or a team member's (an owner or admin). */
  owner: Owner;
  /** The organization's timezone, where the hours are. */
  timezone: string;
  /** The person, for the words: "you" or their name. */
  who?: string;
  onSaved?: () => void;
};

function DigestFields({
  frequency,
  digest,
  onChange,
  metricOptions,
  error,
  timezone,
}: {
  frequency: DigestFrequency;
  digest: DigestForm;
  onChange: (next: DigestForm) => void;
  metricOptions: { value: string; label: string }[];
  error?: string;
  timezone: string;
}) {
  const { title, help } = TITLES[frequency];
  const id = `digest-${frequency}`;
  return (
    <Paper withBorder p="md" radius="md" component="fieldset" aria-labelledby={`${id}-title`} data-testid={id}>
      <Stack gap="sm">
        <Switch
          id={`${id}-enabled`}
          label={
            <Text component="span" fw={600} id={`${id}-title`}>
              {title}
            </Text>
          }
          description={help}
          checked={digest.enabled}
          onChange={(e) => onChange({ ...digest, enabled: e.currentTarget.checked })}
        />
        <SimpleGrid cols={{ base: 1, xs: frequency === "weekly" ? 2 : 1 }} maw={420}>
          {frequency === "weekly" && (
            <Select
              label="Weekly send day"
              data={WEEKDAYS.map((day, index) => ({ value: String(index), label: day }))}
              value={String(digest.weekday)}
              onChange={(value) => value !== null && onChange({ ...digest, weekday: Number(value) })}
              allowDeselect={false}
            />
          )}
          <Select
            label={`${frequency === "weekly" ? "Weekly" : "Daily"} send time`}
            data={HOURS}
            value={String(digest.localHour)}
            onChange={(value) => value !== null && onChange({ ...digest, localHour: Number(value) })}
            allowDeselect={false}
          />
        </SimpleGrid>
        <MultiSelect
          label={`Figures in the ${frequency} digest`}
          data={metricOptions}
          value={digest.metrics}
          onChange={(metrics) => onChange({ ...digest, metrics })}
          searchable
          hidePickedOptions
          error={error}
        />
        <Checkbox
          label="Include the store league table"
          checked={digest.includeLeague}
          onChange={(e) => onChange({ ...digest, includeLeague: e.currentTarget.checked })}
        />
        <Text size="sm" c="gray.7" data-testid={`${id}-schedule`}>
          {digest.enabled ? `${schedule(frequency, digest)} (${timezone})` : "Off"}
        </Text>
      </Stack>
    </Paper>
  );
}

/** The digests a person receives and their alerts e-mail switch, saved as a whole. */
export function NotificationsForm({ owner, timezone, who = "you", onSaved }: Props) {
  const settings = useNotifications(owner);
  const save = useSaveNotifications(owner);
  const preview = usePreviewDigest();
  const catalog = useRegisteredCatalog();
  const [form, setForm] = useState<FormState | null>(null);
  const [showProblems, setShowProblems] = useState(false);
  const metricOptions = useMemo(
    () => (catalog?.metrics ?? []).map((metric) => ({ value: metric.name, label: metric.label })),
    [catalog],
  );

  useEffect(() => {
    if (settings.data) setForm(fromSettings(settings.data));
  }, [settings.data]);

  if (settings.isPending) return <Loading label="Loading notification settings" />;
  if (settings.isError) {
    return <ErrorState message={errorMessage(settings.error)} onRetry={() => void settings.refetch()} />;
  }
  if (!form) return null;

  const saved = fromSettings(settings.data);
  const dirty = !sameForm(form, saved);
  const found = problems(form);
  const fields = save.error instanceof ApiError ? save.error.fields : {};

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (Object.keys(found).length) {
      setShowProblems(true);
      return;
    }
    setShowProblems(false);
    save.mutate(toUpdate(form), { onSuccess: () => onSaved?.() });
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label={`Notifications of ${who}`}>
      <Stack gap="md">
        <Stack gap={2}>
          <Title order={3} size="h5">
            Digests by e-mail
          </Title>
          <Text size="sm" c="gray.7">
            Times are in the organization&apos;s timezone, <span data-testid="digest-timezone">{timezone}</span>.
          </Text>
        </Stack>
        {FREQUENCIES.map((frequency) => (
          <DigestFields
            key={frequency}
            frequency={frequency}
            digest={form[frequency]}
            onChange={(next) => setForm({ ...form, [frequency]: next })}
            metricOptions={metricOptions}
            timezone={timezone}
            error={
              (showProblems ? found[`${frequency}.metrics`] : undefined) ?? (fields.metrics || undefined)
            }
          />
        ))}
        <Title order={3} size="h5">
          Alerts
        </Title>
        <Switch
          label="E-mail me exception alerts"
          description="When a store's day is unusual or the Square connection needs attention"
          checked={form.alertsEmail}
          onChange={(e) => setForm({ ...form, alertsEmail: e.currentTarget.checked })}
        />
        {save.error && !fields.metrics && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(save.error)}
          </Alert>
        )}
        {save.isSuccess && !dirty && (
          <Text size="sm" c="green.8" role="status">
            Saved.
          </Text>
        )}
        <Group>
          <Button type="submit" loading={save.isPending} disabled={!dirty}>
            Save notifications
          </Button>
          {owner === "me" &&
            FREQUENCIES.map((frequency) => (
              <Button
                key={frequency}
                variant="light"
                loading={preview.isPending && preview.variables === frequency}
                onClick={() => preview.mutate(frequency)}
              >
                {`Send me the ${frequency} digest now`}
              </Button>
            ))}
        </Group>
        {preview.isSuccess && (
          <Alert color="green" variant="light" role="status" data-testid="digest-preview-sent">
            Sent to {preview.data.to}: “{preview.data.subject}”.
          </Alert>
        )}
        {preview.error && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(preview.error)}
          </Alert>
        )}
      </Stack>
    </form>
  );
}
