import { Alert, Badge, Button, FileInput, Group, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { IconDownload, IconUpload } from "@tabler/icons-react";
import { useState } from "react";

import { type ImportReport, ImportRejectedError, downloadTemplate, useImportFootfall } from "@/features/footfall/api";
import { errorMessage } from "@/lib/api";
import { formatNumber } from "@/lib/format";

const ACTION_COLOR = { create: "green", update: "indigo", unchanged: "gray", skip: "gray", reject: "red" } as const;
const ACTION_LABEL = { create: "New", update: "Change", unchanged: "Same", skip: "Skipped", reject: "Rejected" } as const;

function Report({ report }: { report: ImportReport }) {
  return (
    <Stack gap="sm" data-testid="import-report">
      <Text size="sm">
        {formatNumber(report.total_rows)} rows: {formatNumber(report.created)} new,{" "}
        {formatNumber(report.updated)} changed, {formatNumber(report.unchanged)} unchanged,{" "}
        {formatNumber(report.skipped)} skipped, <strong>{formatNumber(report.rejected)} rejected</strong>.
      </Text>
      <div role="region" aria-label="Rows of the file" tabIndex={0} style={{ overflowX: "auto", maxHeight: 360, position: "relative" }}>
        <Table striped miw={640} stickyHeader>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Row</Table.Th>
              <Table.Th>Store</Table.Th>
              <Table.Th>Date</Table.Th>
              <Table.Th>Hour</Table.Th>
              <Table.Th>Count</Table.Th>
              <Table.Th>Result</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.rows.map((row) => (
              <Table.Tr key={row.row} data-action={row.action}>
                <Table.Td>{row.row}</Table.Td>
                <Table.Td>{row.location}</Table.Td>
                <Table.Td>{row.date}</Table.Td>
                <Table.Td>{row.hour}</Table.Td>
                <Table.Td>{row.count}</Table.Td>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <Badge size="sm" variant="light" color={ACTION_COLOR[row.action]}>
                      {ACTION_LABEL[row.action]}
                    </Badge>
                    {row.action === "update" && (
                      <Text size="xs">was {row.old_closed ? "closed" : (row.old_count ?? "–")}</Text>
                    )}
                  </Group>
                  {row.reason && <Text size="xs">{row.reason}</Text>}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </div>
      {report.rows_truncated && (
        <Text size="xs" c="gray.7">
          Every rejected row is listed; the others only in part.
        </Text>
      )}
    </Stack>
  );
}

/** CSV import: check the file first (a dry run, row by row), then import it all or nothing. */
export function ImportPanel() {
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [templateError, setTemplateError] = useState<string | null>(null);
  const check = useImportFootfall();
  const apply = useImportFootfall();

  const onFile = (next: File | null) => {
    setFile(next);
    setReport(null);
    check.reset();
    apply.reset();
  };
  const onCheck = () =>
    file && check.mutate({ file, dryRun: true }, { onSuccess: setReport });
  const onApply = () =>
    file &&
    apply.mutate(
      { file, dryRun: false },
      {
        onSuccess: (done) => setReport(done),
        onError: (error) => error instanceof ImportRejectedError && setReport(error.report),
      },
    );

  const failed = check.error ?? apply.error;
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="import-heading">
      <Stack gap="md">
        <Group justify="space-between">
          <Title order={2} size="h4" id="import-heading">
            Import a CSV
          </Title>
          <Button
            variant="subtle"
            leftSection={<IconDownload size={16} aria-hidden />}
            onClick={() => {
              setTemplateError(null);
              downloadTemplate().catch((e: unknown) => setTemplateError(errorMessage(e)));
            }}
          >
            Download template
          </Button>
        </Group>
        <Text size="sm" c="gray.7">
          Columns: location (store name or id), date (YYYY-MM-DD or DD/MM/YYYY), count (a whole
          number, or “closed”) and optionally hour (0–23). The file is checked first; nothing is
          written until you import it, and then all rows or none.
        </Text>
        <Group align="flex-end" gap="sm">
          <FileInput
            label="CSV file"
            description="A .csv file, UTF-8"
            accept=".csv,text/csv"
            value={file}
            onChange={onFile}
            clearable
            clearButtonProps={{ "aria-label": "Clear the chosen file" }}
            w={300}
            leftSection={<IconUpload size={16} aria-hidden />}
          />
          <Button onClick={onCheck} disabled={!file} loading={check.isPending} variant="light">
            Check file
          </Button>
        </Group>
        {templateError && (
          <Alert color="red" variant="light" role="alert">
            {templateError}
          </Alert>
        )}
        {failed && !(failed instanceof ImportRejectedError) && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(failed)}
          </Alert>
        )}
        {report && report.applied && (
          <Alert color="green" variant="light" role="status" title="Imported">
            {formatNumber(report.created)} new and {formatNumber(report.updated)} changed counts were saved.
          </Alert>
        )}
        {report && !report.applied && report.rejected > 0 && (
          <Alert color="red" variant="light" role="alert" title="Some rows cannot be imported">
            Fix the {formatNumber(report.rejected)} rejected row{report.rejected === 1 ? "" : "s"} below
            and check the file again; nothing has been written.
          </Alert>
        )}
        {report && !report.applied && report.rejected === 0 && (
          <Group justify="space-between">
            <Text size="sm" role="status">
              The file checks out.
            </Text>
            <Button onClick={onApply} loading={apply.isPending}>
              Import {formatNumber(report.created + report.updated)} counts
            </Button>
          </Group>
        )}
        {report && <Report report={report} />}
      </Stack>
    </Paper>
  );
}
