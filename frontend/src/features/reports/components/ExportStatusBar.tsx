import { Alert, Button, Group, Progress, Text } from "@mantine/core";

import type { ExportStatus } from "@/features/reports/useExport";

const PHASES = {
  preparing: "Preparing your file…",
  queued: "Waiting for the export to start…",
  running: "Building the workbook…",
  downloading: "Downloading…",
} as const;

/** What an export is doing: a progress bar while it is prepared, then the outcome. */
export function ExportStatusBar({ status, onCancel }: { status: ExportStatus; onCancel: () => void }) {
  const { progress } = status;
  return (
    <div aria-live="polite" data-testid="export-status">
      {status.running && progress && (
        <Group gap="sm" wrap="nowrap" align="center">
          <Progress
            value={progress.progress === null ? 100 : Math.round(progress.progress * 100)}
            animated={progress.progress === null}
            striped={progress.progress === null}
            flex={1}
            size="lg"
            aria-label="Export progress"
            data-testid="export-progress"
          />
          <Text size="sm" c="gray.8" miw={180}>
            {PHASES[progress.phase]}
            {progress.progress !== null && progress.phase !== "downloading"
              ? ` ${Math.round(progress.progress * 100)}%`
              : ""}
          </Text>
          <Button size="xs" variant="subtle" color="gray" onClick={onCancel}>
            Cancel
          </Button>
        </Group>
      )}
      {status.error && (
        <Alert color="red" variant="light" title="The export did not complete" role="alert">
          {status.error}
        </Alert>
      )}
      {status.saved && (
        <Text size="sm" c="teal.9" role="status">
          Downloaded {status.saved}
        </Text>
      )}
    </div>
  );
}
