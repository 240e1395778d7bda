import { Alert, Progress, Stack, Text } from "@mantine/core";
import { IconRefresh } from "@tabler/icons-react";

import { useLocations } from "@/features/locations/api";
import { joinNames, percentDone, type Recalculation } from "@/features/locations/recalculation";

/** Says which stores of a report are being recalculated after a settings change, and how far
 * along; nothing when none are. The report asks again on its own until they are done. */
export function RecalculationNotice({ recalculating }: { recalculating: Recalculation[] | undefined }) {
  const locations = useLocations();
  const jobs = recalculating ?? [];
  if (jobs.length === 0) return null;
  const names = new Map((locations.data?.items ?? []).map((loc) => [loc.id, loc.name]));
  const name = (job: Recalculation) => names.get(job.location_id) ?? `store ${job.location_id}`;
  const done = jobs.reduce((sum, job) => sum + job.done, 0);
  const total = jobs.reduce((sum, job) => sum + job.total, 0);
  const percent = total > 0 ? Math.floor((100 * Math.min(done, total)) / total) : 0;
  const failed = jobs.filter((job) => job.state === "failed");
  const started = jobs.some((job) => job.state !== "queued");
  return (
    <Alert
      color="yellow"
      variant="light"
      role="status"
      icon={<IconRefresh size={18} aria-hidden />}
      title={`Figures for ${joinNames(jobs.map(name))} are being recalculated after a settings change${
        started ? ` — ${percent}% done` : ""
      }`}
      data-testid="recalculation-notice"
    >
      <Stack gap={6}>
        <Text size="sm">
          Until it finishes, some of {jobs.length === 1 ? "its" : "their"} sales may still be on the
          dates the old setting gave them. This page updates on its own.
        </Text>
        {jobs.map((job) => (
          <Text key={job.location_id} size="xs" c="gray.8">
            {name(job)}: {job.reason}
            {job.state === "queued" ? " (waiting to start)" : ` (${percentDone(job)}%)`}
          </Text>
        ))}
        {failed.length > 0 && (
          <Text size="xs" c="red.9">
            The recalculation of {joinNames(failed.map(name))} stopped on an error; it is tried again
            automatically.
          </Text>
        )}
        {started && <Progress value={percent} size="sm" aria-label="Recalculation progress" />}
      </Stack>
    </Alert>
  );
}
