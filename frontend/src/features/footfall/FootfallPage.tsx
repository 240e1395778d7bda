import { ActionIcon, Alert, Button, Group, Modal, Paper, SegmentedControl, Select, Stack, Switch, Text, Title } from "@mantine/core";
import { IconChevronLeft, IconChevronRight } from "@tabler/icons-react";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import { useMe } from "@/features/auth/api";
import { useFootfall, useSaveFootfall } from "@/features/footfall/api";
import { FootfallGrid, type GridStore } from "@/features/footfall/components/FootfallGrid";
import { HourlyGrid } from "@/features/footfall/components/HourlyGrid";
import { QuickCount } from "@/features/footfall/components/QuickCount";
import { ImportPanel } from "@/features/footfall/components/ImportPanel";
import { byCell, byHour, cellsToSave, parseKeyed, type Replaced, replacedDays, savedText } from "@/features/footfall/entries";
import {
  addDays,
  cellKey,
  dayHours,
  hourKey,
  hourLabel,
  isIsoDate,
  lastYearSameWeekday,
  localToday,
  splitKey,
  startOfWeek,
  weekDays,
} from "@/features/footfall/grid";
import { StoresGate } from "@/features/locations/components/StoresGate";
import { ApiError, errorMessage } from "@/lib/api";
import { formatDateRange, formatNumber } from "@/lib/format";

function Week({ stores, canWrite }: { stores: GridStore[]; canWrite: boolean }) {
  const [params, setParams] = useSearchParams();
  const today = localToday();
  const weekParam = params.get("week");
  const monday = startOfWeek(isIsoDate(weekParam) ? weekParam : today);
  const days = weekDays(monday);
  const sunday = days[6] ?? monday;
  const ids = useMemo(() => stores.map((s) => s.id), [stores]);
  const week = useFootfall(monday, sunday, ids);
  const lastYearWeek = useFootfall(lastYearSameWeekday(monday), lastYearSameWeekday(sunday), ids);
  const save = useSaveFootfall();
  const [drafts, setDrafts] = useState(new Map<string, string>());
  const [saved, setSaved] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [questioned, setQuestioned] = useState<string[]>([]);

  const stored = useMemo(() => byCell(week.data?.items), [week.data]);
  const storedHours = useMemo(() => byHour(week.data?.items), [week.data]);
  const estimates = useMemo(
    () =>
      new Map(
        (week.data?.estimates ?? []).map((e) => [cellKey(e.location_id, e.date), { estimate: e.estimate, basis: e.basis }]),
      ),
    [week.data],
  );
  const lastYear = useMemo(() => byCell(lastYearWeek.data?.items), [lastYearWeek.data]);

  // By the hour: one store's week, hours down (?hours=<store id>); otherwise the stores' days.
  const hourStore = stores.find((s) => String(s.id) === params.get("hours"));
  const [allHours, setAllHours] = useState(false);
  const [confirming, setConfirming] = useState<Replaced[] | null>(null);

  const changed = [...drafts].filter(([key, text]) => text.trim() !== savedText(key, stored, storedHours));
  const invalid = changed.filter(([key, text]) => parseKeyed(key, text).kind === "invalid").length;

  // A save's 422 names the cell as entries.<i>.<field>: shown under that cell.
  const [sent, setSent] = useState<string[]>([]);
  const errors = useMemo(() => {
    const map = new Map<string, string>();
    if (save.error instanceof ApiError) {
      for (const [field, message] of Object.entries(save.error.fields)) {
        const match = /^entries\.(\d+)/.exec(field);
        const key = match ? sent[Number(match[1])] : undefined;
        if (key) map.set(key, message);
      }
    }
    return map;
  }, [save.error, sent]);

  /** Moves to another week or view; unsaved changes are left only if the user says so. */
  const goTo = (changes: Record<string, string | null>) => {
    if (changed.length > 0 && !window.confirm("Leave without saving your changes?")) return;
    setDrafts(new Map());
    setSaved(null);
    save.reset();
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) next.delete(name);
      else next.set(name, value);
    }
    setParams(next);
  };

  const onChange = (updates: { key: string; text: string }[]) => {
    setSaved(null);
    setDrafts((current) => {
      const next = new Map(current);
      for (const { key, text } of updates) next.set(key, text);
      return next;
    });
  };

  const send = (replaced: Replaced[]) => {
    setConfirming(null);
    const { keys, entries } = cellsToSave(changed, replaced);
    setSent(keys);
    save.mutate(entries, {
      onSuccess: (result) => {
        setDrafts(new Map());
        setSaved(
          `Saved: ${result.created} added, ${result.updated} changed, ${result.deleted} cleared.`,
        );
        // What was just typed and looks wrong is asked about at once, not left to a small icon.
        const names = new Map(stores.map((store) => [store.id, store.name]));
        const typed = new Set(keys);
        setQuestioned(
          result.items
            .filter((e) => e.unusual && typed.has(e.hour === null ? cellKey(e.location_id, e.date) : hourKey(e.location_id, e.date, e.hour)))
            .map(
              (e) =>
                `${names.get(e.location_id) ?? "A store"}, ${formatDateRange(e.date, e.date)}${e.hour === null ? "" : ` ${hourLabel(e.hour)}`}: ${e.unusual_reason ?? "unusual"}`,
            ),
        );
      },
    });
  };

  const pasteIgnored = (n: number) =>
    setNotice(`${n} pasted value${n === 1 ? " was" : "s were"} left out: off the grid, in the future or not yours to edit.`);

  /** The hours of a store's week that hold a count, saved or typed: never hidden. */
  const hoursInUse = (storeId: number) =>
    [...storedHours.keys(), ...[...drafts].filter(([, text]) => text.trim() !== "").map(([key]) => key)].flatMap((key) => {
      const cell = splitKey(key);
      return cell.storeId === storeId && cell.hour !== null ? [cell.hour] : [];
    });

  // What both grids take.
  const grid = { days, stored, drafts, errors, today, onChange, onPasteIgnored: pasteIgnored };

  const dayName = (key: string) => {
    const { storeId, date } = splitKey(key);
    return `${stores.find((s) => s.id === storeId)?.name ?? "A store"}, ${formatDateRange(date, date)}`;
  };

  // Hours typed on a day with a whole-day count replace it: asked first, then sent together.
  const onSave = () => {
    const replaced = replacedDays(changed, stored, storedHours);
    if (replaced.length > 0) setConfirming(replaced);
    else send([]);
  };

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="week-heading">
      <Stack gap="md">
        <Group justify="space-between" wrap="wrap" gap="sm">
          <Group gap="xs" wrap="wrap">
            <Group gap="xs" wrap="nowrap">
              <ActionIcon variant="default" size="lg" aria-label="Previous week" onClick={() => goTo({ week: addDays(monday, -7) })}>
                <IconChevronLeft size={18} aria-hidden />
              </ActionIcon>
              <Title order={2} size="h4" id="week-heading" miw={200} ta="center">
                Week of {formatDateRange(monday, sunday)}
              </Title>
              <ActionIcon
                variant="default"
                size="lg"
                aria-label="Next week"
                onClick={() => goTo({ week: addDays(monday, 7) })}
                disabled={addDays(monday, 7) > today}
              >
                <IconChevronRight size={18} aria-hidden />
              </ActionIcon>
            </Group>
            {monday !== startOfWeek(today) && (
              <Button variant="subtle" size="xs" onClick={() => goTo({ week: startOfWeek(today) })}>
                This week
              </Button>
            )}
          </Group>
          {canWrite && (
            <Group gap="xs">
              <Button variant="default" disabled={drafts.size === 0 || save.isPending} onClick={() => { setDrafts(new Map()); save.reset(); }}>
                Discard changes
              </Button>
              <Button onClick={onSave} loading={save.isPending} disabled={changed.length === 0 || invalid > 0}>
                Save{changed.length > 0 ? ` ${changed.length} change${changed.length === 1 ? "" : "s"}` : ""}
              </Button>
            </Group>
          )}
        </Group>
        <Group gap="sm" wrap="wrap" align="end">
          <SegmentedControl
            aria-label="Enter counts"
            value={hourStore ? "hour" : "day"}
            onChange={(view) => goTo({ hours: view === "hour" ? String(stores[0]?.id ?? "") : null })}
            data={[
              { value: "day", label: "By day" },
              { value: "hour", label: "By hour" },
            ]}
          />
          {hourStore && (
            <>
              <Select
                label="Store"
                data={stores.map((s) => ({ value: String(s.id), label: s.name }))}
                value={String(hourStore.id)}
                onChange={(id) => id && goTo({ hours: id })}
                allowDeselect={false}
                w={220}
              />
              <Switch label="Show all 24 hours" checked={allHours} onChange={(e) => setAllHours(e.currentTarget.checked)} mb={8} />
            </>
          )}
        </Group>
        <Text size="sm" c="gray.7">
          {hourStore && !canWrite
            ? `${hourStore.name} by the hour, with each day's total. You can see the counts; only managers, admins and owners can change them.`
            : hourStore
            ? `${hourStore.name} by the hour: type each hour's visitors; the day total adds them up. Hours with a count are always shown. Arrow keys and Enter move between cells; paste a block copied from a spreadsheet into the first cell. A day has either one whole-day count or hourly counts, and a closed day is closed all day.`
            : canWrite
            ? "Type a count, or “closed” (c) for a closed day; clear a cell to remove its entry. Arrow keys and Enter move between cells; paste a block copied from a spreadsheet into the first cell. “LY” is the same weekday last year."
            : "You can see the counts; only managers, admins and owners can change them. “LY” is the same weekday last year."}
        </Text>
        {invalid > 0 && (
          <Alert color="red" variant="light" role="alert">
            {invalid} cell{invalid === 1 ? " is" : "s are"} not a whole number{hourStore ? "" : " or “closed”"}: fix {invalid === 1 ? "it" : "them"} to save.
          </Alert>
        )}
        {save.error && (
          <Alert color="red" variant="light" role="alert" title="Nothing was saved">
            {errorMessage(save.error)}
          </Alert>
        )}
        {saved && (
          <Alert color="green" variant="light" role="status">
            {saved}
          </Alert>
        )}
        {saved && questioned.length > 0 && (
          <Alert color="yellow" variant="light" role="status" title="Check these counts" data-testid="footfall-questioned">
            <Stack gap={4}>
              {questioned.map((line) => (
                <Text key={line} size="sm">
                  {line}
                </Text>
              ))}
              <Text size="sm">They are saved as typed: correct them if they are wrong.</Text>
            </Stack>
          </Alert>
        )}
        {notice && (
          <Alert color="yellow" variant="light" role="status" withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)}>
            {notice}
          </Alert>
        )}
        {week.isPending && <Loading label="Loading footfall" />}
        {week.isError && (
          <ErrorState title="Could not load the footfall" message={errorMessage(week.error)} onRetry={() => void week.refetch()} />
        )}
        {week.data && (
          <div role="region" aria-labelledby="week-heading" tabIndex={-1} style={{ overflowX: "auto", position: "relative" }}>
            {hourStore ? (
              <HourlyGrid
                {...grid}
                store={hourStore}
                hours={dayHours(hourStore.dayStart ?? 0, allHours, hoursInUse(hourStore.id))}
                storedHours={storedHours}
              />
            ) : (
              <FootfallGrid
                {...grid}
                stores={stores}
                estimates={estimates}
                lastYear={lastYear}
                onOpenHours={(id) => goTo({ hours: String(id) })}
              />
            )}
          </div>
        )}
        {week.data && (
          <Text size="xs" c="gray.7">
            A warning sign marks a count that looks wrong (far from the store's usual weekday, from the other stores or from its sales): hover or focus it to see why.
          </Text>
        )}
      </Stack>
      <Modal opened={confirming !== null} onClose={() => setConfirming(null)} title="Replace whole-day counts with hourly counts?" centered>
        <Stack gap="sm">
          {confirming?.map((r) => (
            <Text key={r.key} size="sm">
              {dayName(r.key)} has a whole-day count of {formatNumber(r.count)}. Replace it with the hourly counts (total {formatNumber(r.hoursTotal)})?
            </Text>
          ))}
          <Text size="sm" c="gray.7">
            A day has either one whole-day count or hourly counts. Nothing is saved unless all of it is.
          </Text>
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={() => setConfirming(null)}>
              Cancel
            </Button>
            <Button onClick={() => confirming && send(confirming)}>Replace and save</Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}

export default function FootfallPage() {
  const me = useMe();
  const role = me.data?.role;
  const canWrite = role !== undefined && role !== "viewer";
  return (
    <Stack gap="lg">
      <PageHeader
        title="Footfall"
        description="Visitor counts per store and day, for conversion and sales per visitor"
      />
      {!me.data ? (
        <Loading label="Loading" />
      ) : (
        <StoresGate what="your stores">
          {(locations) => {
            // Managers only see the stores they are granted, so whatever they see they may edit.
            const stores = locations.map((l) => ({ id: l.id, name: l.name, editable: canWrite, dayStart: l.business_day_start_hour }));
            return (
              <>
                {canWrite && <QuickCount stores={stores} />}
                <Week stores={stores} canWrite={canWrite} />
                {canWrite && <ImportPanel />}
              </>
            );
          }}
        </StoresGate>
      )}
    </Stack>
  );
}
