import { Anchor, Badge, Code, Group, Paper, Stack, Text, TextInput, Title } from "@mantine/core";
import { IconSearch } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { Link, useLocation } from "react-router";

import { PageHeader } from "@/components/ui/PageHeader";
import { type CatalogMetric, useRegisteredCatalog } from "@/features/catalog/registry";

const KIND: Record<string, string> = {
  money: "Money",
  count: "Count",
  ratio: "Ratio",
  percent: "Percentage",
};

function direction(metric: CatalogMetric): string {
  if (metric.up_is_good === null) return "Neither good nor bad when it rises";
  return metric.up_is_good ? "Higher is better" : "Lower is better";
}

function matches(metric: CatalogMetric, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [metric.label, metric.short_label, metric.description].some((text) => text.toLowerCase().includes(q));
}

/**
 * What each figure means: every metric of the catalog (GET /reports/catalog) with its description
 * and METRICS.md's definition, one anchor per metric (/help/metrics#net_sales) for the "i" buttons.
 */
export default function GlossaryPage() {
  const catalog = useRegisteredCatalog();
  const { hash } = useLocation();
  const [query, setQuery] = useState("");
  const metrics = (catalog?.metrics ?? []).filter((m) => matches(m, query));
  const target = decodeURIComponent(hash.replace(/^#/, ""));

  // The router does not scroll to a hash: bring the asked-for entry into view.
  useEffect(() => {
    if (target) document.getElementById(target)?.scrollIntoView({ block: "start" });
  }, [target]);

  return (
    <Stack gap="lg">
      <PageHeader
        title="What the figures mean"
        description="Every figure in Teliporter's dashboard, reports and Excel workbook, defined once."
      />
      <TextInput
        label="Find a figure"
        leftSection={<IconSearch size={16} aria-hidden />}
        type="search"
        value={query}
        onChange={(e) => setQuery(e.currentTarget.value)}
        maw={360}
      />
      <nav aria-label="Figures">
        <Group gap="xs" wrap="wrap">
          {metrics.map((m) => (
            <Anchor key={m.name} component={Link} to={`#${m.name}`} size="sm">
              {m.short_label}
            </Anchor>
          ))}
        </Group>
      </nav>
      {metrics.length === 0 && <Text c="gray.7">No figure matches “{query}”.</Text>}
      <Stack gap="sm">
        {metrics.map((m) => (
          <Paper
            key={m.name}
            id={m.name}
            component="section"
            aria-labelledby={`${m.name}-title`}
            withBorder
            p="md"
            radius="md"
            data-testid={`glossary-${m.name}`}
            style={{ scrollMarginTop: 72, outline: m.name === target ? "2px solid var(--mantine-color-indigo-6)" : undefined }}
          >
            <Stack gap={6}>
              <Group gap="xs" wrap="wrap">
                <Title order={2} size="h4" id={`${m.name}-title`}>
                  {m.label}
                  {m.short_label !== m.label && ` (${m.short_label})`}
                </Title>
                <Badge variant="light" color="gray" c="gray.8">
                  {KIND[m.kind] ?? m.kind}
                </Badge>
              </Group>
              <Text>
                {m.description}
              </Text>
              <Text size="sm" c="gray.8">
                {direction(m)}.
              </Text>
              <Text size="sm" c="gray.8">
                How it is worked out from Square's data: <Code style={{ whiteSpace: "normal", wordBreak: "break-word" }}>{m.definition}</Code>
              </Text>
            </Stack>
          </Paper>
        ))}
      </Stack>
    </Stack>
  );
}
