import { Alert, Button, Group, Paper, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { type FormEvent, useEffect, useMemo, useState } from "react";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import {
  type OrganizationUpdate,
  useOrganization,
  useUpdateOrganization,
} from "@/features/settings/api";
import { ApiError, errorMessage } from "@/lib/api";
import { currencyCodes, currencyName, timezoneNames } from "@/lib/format";

export function OrganizationSection({ canEdit }: { canEdit: boolean }) {
  const org = useOrganization();
  const update = useUpdateOrganization();
  const [name, setName] = useState("");
  const [currency, setCurrency] = useState("");
  const [timezone, setTimezone] = useState("");
  const currencies = useMemo(
    () => currencyCodes().map((code) => ({ value: code, label: `${code} · ${currencyName(code)}` })),
    [],
  );
  const timezones = useMemo(() => timezoneNames(org.data?.timezone), [org.data?.timezone]);

  useEffect(() => {
    if (org.data) {
      setName(org.data.name);
      setCurrency(org.data.reporting_currency);
      setTimezone(org.data.timezone);
    }
  }, [org.data]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!org.data) return;
    // Only what changed: a reporting currency (or timezone) sent is a choice, and until someone
    // makes one it follows the first connected Square account (the stores): renaming must not
    // fix it.
    const changes: OrganizationUpdate = {};
    if (name !== org.data.name) changes.name = name;
    if (currency !== org.data.reporting_currency) changes.reporting_currency = currency;
    if (timezone !== org.data.timezone) changes.timezone = timezone;
    update.mutate(changes);
  };
  const fields = update.error instanceof ApiError ? update.error.fields : {};
  const dirty =
    org.data !== undefined &&
    (name !== org.data.name || currency !== org.data.reporting_currency || timezone !== org.data.timezone);

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="org-heading">
      <Stack gap="md">
        <Title order={2} size="h4" id="org-heading">
          Organization
        </Title>
        {org.isPending && <Loading label="Loading the organization" />}
        {org.isError && (
          <ErrorState message={errorMessage(org.error)} onRetry={() => void org.refetch()} />
        )}
        {org.data && (
          <form onSubmit={onSubmit} noValidate>
            <Stack gap="md" maw={480}>
              <TextInput
                label="Name"
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                readOnly={!canEdit}
                required
                error={fields.name}
              />
              <Select
                label="Reporting currency"
                description="Every store's sales are converted into this currency in reports"
                data={currencies}
                value={currency}
                onChange={(value) => value && setCurrency(value)}
                searchable
                allowDeselect={false}
                readOnly={!canEdit}
                error={fields.reporting_currency}
              />
              <Select
                label="Timezone"
                description="Scheduled e-mail digests go out at their hour in this timezone; until you choose, it follows most of your stores"
                data={timezones}
                value={timezone}
                onChange={(value) => value && setTimezone(value)}
                searchable
                allowDeselect={false}
                readOnly={!canEdit}
                error={fields.timezone}
              />
              {update.error && !Object.keys(fields).length && (
                <Alert color="red" variant="light" role="alert">
                  {errorMessage(update.error)}
                </Alert>
              )}
              {update.isSuccess && !dirty && (
                <Text size="sm" c="green.8" role="status">
                  Saved.
                </Text>
              )}
              {canEdit ? (
                <Group>
                  <Button type="submit" loading={update.isPending} disabled={!dirty}>
                    Save
                  </Button>
                </Group>
              ) : (
                <Text size="sm" c="gray.7">
                  Only owners and admins can change these.
                </Text>
              )}
            </Stack>
          </form>
        )}
      </Stack>
    </Paper>
  );
}
