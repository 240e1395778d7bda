import { Alert, Button, Group, Paper, SegmentedControl, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { type FormEvent, useEffect, useState } from "react";

import { useFootfall, useSaveFootfall } from "@/features/footfall/api";
import type { GridStore } from "@/features/footfall/components/FootfallGrid";
import { addDays, cellText, localToday, parseCell } from "@/features/footfall/grid";
import { ApiError, errorMessage } from "@/lib/api";
import { formatDateRange, formatNumber } from "@/lib/format";

const LAST_STORE = "teliporter.footfall.quickStore";

function rememberedStore(stores: GridStore[]): string {
  const saved = window.localStorage.getItem(LAST_STORE);
  const found = stores.find((s) => String(s.id) === saved) ?? stores[0];
  return found ? String(found.id) : "";
}

/**
 * A store's count for today (or yesterday) in a couple of taps, for the person at the door on a
 * phone: the store is remembered, the number pad opens, one button saves. The same save as the
 * grid's (PUT /footfall/bulk), so the same rules and the same questions about odd counts apply.
 */
export function QuickCount({ stores }: { stores: GridStore[] }) {
  const today = localToday();
  const [storeId, setStoreId] = useState(() => rememberedStore(stores));
  const [when, setWhen] = useState<"today" | "yesterday">("today");
  const day = when === "today" ? today : addDays(today, -1);
  const [text, setText] = useState("");
  const [done, setDone] = useState<{ message: string; reason: string | null } | null>(null);
  const id = Number(storeId);
  const current = useFootfall(day, day, storeId ? [id] : []);
  const save = useSaveFootfall();

  const entries = current.data?.items.filter((e) => e.location_id === id) ?? [];
  const whole = entries.find((e) => e.hour === null);
  const hourly = entries.filter((e) => e.hour !== null);
  const stored = cellText(whole);

  // The field starts from what is stored for the chosen store and day.
  useEffect(() => {
    setText(stored);
  }, [stored, storeId, day]);

  const parsed = parseCell(text);
  const invalid = text.trim() !== "" && parsed.kind === "invalid";
  const name = stores.find((s) => s.id === id)?.name ?? "";
  const fieldError = save.error instanceof ApiError ? Object.values(save.error.fields)[0] : undefined;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!storeId || invalid || parsed.kind === "invalid" || parsed.kind === "empty") return;
    window.localStorage.setItem(LAST_STORE, storeId);
    save.mutate(
      [
        {
          location_id: id,
          date: day,
          count: parsed.kind === "count" ? parsed.count : null,
          closed: parsed.kind === "closed",
        },
      ],
      {
        onSuccess: (result) => {
          const saved = result.items.find((e) => e.location_id === id && e.date === day && e.hour === null);
          const what = parsed.kind === "closed" ? "closed" : `${formatNumber(parsed.kind === "count" ? parsed.count : 0)} visitors`;
          setDone({
            message: `Saved: ${name}, ${when} (${formatDateRange(day, day)}): ${what}.`,
            reason: saved?.unusual ? (saved.unusual_reason ?? "this count looks unusual") : null,
          });
        },
      },
    );
  };

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="quick-count-heading" data-testid="quick-count">
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="sm">
          <Title order={2} size="h4" id="quick-count-heading">
            Today's count
          </Title>
          <Group gap="sm" align="flex-end" wrap="wrap">
            {stores.length > 1 && (
              <Select
                label="Store"
                data={stores.map((s) => ({ value: String(s.id), label: s.name }))}
                value={storeId}
                onChange={(value) => {
                  setStoreId(value ?? "");
                  setDone(null);
                  save.reset();
                }}
                allowDeselect={false}
                w={220}
              />
            )}
            <SegmentedControl
              aria-label="Day"
              value={when}
              onChange={(value) => {
                setWhen(value as "today" | "yesterday");
                setDone(null);
                save.reset();
              }}
              data={[
                { value: "today", label: "Today" },
                { value: "yesterday", label: "Yesterday" },
              ]}
            />
          </Group>
          {hourly.length > 0 ? (
            <Text size="sm">
              {name} was counted by the hour on this day ({formatNumber(hourly.reduce((sum, e) => sum + (e.count ?? 0), 0))} so far): change the hours in the grid below.
            </Text>
          ) : (
            <Group gap="sm" align="flex-start" wrap="nowrap">
              <TextInput
                label={`Visitors${stores.length === 1 ? ` at ${name}` : ""}`}
                description="A number, or “closed”"
                inputMode="numeric"
                autoComplete="off"
                value={text}
                onChange={(e) => {
                  setText(e.currentTarget.value);
                  setDone(null);
                  if (save.error) save.reset();
                }}
                error={parsed.kind === "invalid" ? parsed.reason : fieldError}
                w={200}
              />
              <Button type="submit" mt={26} loading={save.isPending} disabled={invalid || text.trim() === "" || text.trim() === stored}>
                Save
              </Button>
            </Group>
          )}
          {save.error && !fieldError && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(save.error)}
            </Alert>
          )}
          {done && (
            <Alert color={done.reason ? "yellow" : "green"} variant="light" role="status" data-testid="quick-count-saved">
              {done.message}
              {done.reason && ` Check it: ${done.reason}.`}
            </Alert>
          )}
        </Stack>
      </form>
    </Paper>
  );
}
