import { ActionIcon, Alert, Button, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { IconChevronLeft, IconChevronRight } from "@tabler/icons-react";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import { useMe } from "@/features/auth/api";
import { type FootfallCell, type FootfallEntry, useFootfall, useSaveFootfall } from "@/features/footfall/api";
import { FootfallGrid, type GridStore, type StoredCell, cellKey } from "@/features/footfall/components/FootfallGrid";
import { QuickCount } from "@/features/footfall/components/QuickCount";
import { ImportPanel } from "@/features/footfall/components/ImportPanel";
import {
  addDays,
  cellText,
  isIsoDate,
  lastYearSameWeekday,
  localToday,
  parseCell,
  startOfWeek,
  weekDays,
} from "@/features/footfall/grid";
import { StoresGate } from "@/features/locations/components/StoresGate";
import { ApiError, errorMessage } from "@/lib/api";
import { formatDateRange } from "@/lib/format";

/** Entries by store-day; a day entered by the hour shows its total and is flagged hourly. */
function byCell(entries: FootfallEntry[] | undefined): Map<string, StoredCell> {
  const cells = new Map<string, StoredCell>();
  for (const e of entries ?? []) {
    const key = cellKey(e.location_id, e.date);
    const reason = e.unusual_reason ?? null;
    if (e.hour === null) {
      cells.set(key, { count: e.count, closed: e.closed, unusual: e.unusual, reason, hourly: false });
    } else {
      const sum = cells.get(key);
      const hour = reason && `${String(e.hour).padStart(2, "0")}:00: ${reason}`;
      cells.set(key, {
        count: (sum?.count ?? 0) + (e.count ?? 0),
        closed: false,
        unusual: Boolean(sum?.unusual) || e.unusual,
        reason: sum?.reason ?? hour,
        hourly: true,
      });
    }
  }
  return cells;
}

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
  const estimates = useMemo(
    () =>
      new Map(
        (week.data?.estimates ?? []).map((e) => [cellKey(e.location_id, e.date), { estimate: e.estimate, basis: e.basis }]),
      ),
    [week.data],
  );
  const lastYear = useMemo(() => byCell(lastYearWeek.data?.items), [lastYearWeek.data]);

  const changed = [...drafts].filter(([key, text]) => text.trim() !== cellText(stored.get(key)));
  const invalid = changed.filter(([, text]) => parseCell(text).kind === "invalid").length;

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

  const goTo = (target: string) => {
    if (changed.length > 0 && !window.confirm("Leave this week without saving your changes?")) return;
    setDrafts(new Map());
    setSaved(null);
    save.reset();
    const next = new URLSearchParams(params);
    next.set("week", target);
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

  const onSave = () => {
    const keys: string[] = [];
    const entries: FootfallCell[] = [];
    for (const [key, text] of changed) {
      const [storeId, date] = key.split("|");
      const parsed = parseCell(text);
      if (parsed.kind === "invalid" || !storeId || !date) continue;
      keys.push(key);
      entries.push({
        location_id: Number(storeId),
        date,
        count: parsed.kind === "count" ? parsed.count : null,
        closed: parsed.kind === "closed",
      });
    }
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
            .filter((e) => e.unusual && e.hour === null && typed.has(cellKey(e.location_id, e.date)))
            .map((e) => `${names.get(e.location_id) ?? "A store"}, ${formatDateRange(e.date, e.date)}: ${e.unusual_reason ?? "unusual"}`),
        );
      },
    });
  };

  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="week-heading">
      <Stack gap="md">
        <Group justify="space-between" wrap="wrap" gap="sm">
          <Group gap="xs" wrap="nowrap">
            <ActionIcon variant="default" size="lg" aria-label="Previous week" onClick={() => goTo(addDays(monday, -7))}>
              <IconChevronLeft size={18} aria-hidden />
            </ActionIcon>
            <Title order={2} size="h4" id="week-heading" miw={200} ta="center">
              Week of {formatDateRange(monday, sunday)}
            </Title>
            <ActionIcon
              variant="default"
              size="lg"
              aria-label="Next week"
              onClick={() => goTo(addDays(monday, 7))}
              disabled={addDays(monday, 7) > today}
            >
              <IconChevronRight size={18} aria-hidden />
            </ActionIcon>
            {monday !== startOfWeek(today) && (
              <Button variant="subtle" size="xs" onClick={() => goTo(startOfWeek(today))}>
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
        <Text size="sm" c="gray.7">
          {canWrite
            ? "Type a count, or “closed” (c) for a closed day; clear a cell to remove its entry. Arrow keys and Enter move between cells; paste a block copied from a spreadsheet into the first cell. “LY” is the same weekday last year."
            : "You can see the counts; only managers, admins and owners can change them. “LY” is the same weekday last year."}
        </Text>
        {invalid > 0 && (
          <Alert color="red" variant="light" role="alert">
            {invalid} cell{invalid === 1 ? " is" : "s are"} not a whole number or “closed”: fix {invalid === 1 ? "it" : "them"} to save.
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
            <FootfallGrid
              stores={stores}
              days={days}
              stored={stored}
              estimates={estimates}
              lastYear={lastYear}
              drafts={drafts}
              errors={errors}
              today={today}
              onChange={onChange}
              onPasteIgnored={(n) =>
                setNotice(`${n} pasted value${n === 1 ? " was" : "s were"} left out: off the grid, in the future or not yours to edit.`)
              }
            />
          </div>
        )}
        {week.data && (
          <Text size="xs" c="gray.7">
            A warning sign marks a count that looks wrong (far from the store's usual weekday, from the other stores or from its sales): hover or focus it to see why.
          </Text>
        )}
      </Stack>
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
            const stores = locations.map((l) => ({ id: l.id, name: l.name, editable: canWrite }));
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
