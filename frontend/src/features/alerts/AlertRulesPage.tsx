import {
  Alert,
  Anchor,
  Button,
  Group,
  NumberInput,
  Paper,
  Select,
  Stack,
  Switch,
  Text,
  Title,
} from "@mantine/core";
import { useEffect, useState } from "react";
import { Link } from "react-router";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import {
  type AlertKind,
  type AlertRule,
  type AlertRules,
  KINDS,
  kindLabel,
  ruleIn,
  useAlertRules,
  useSaveAlertRules,
  useSaveStoreOverrides,
} from "@/features/alerts/api";
import { useMe } from "@/features/auth/api";
import { useLocations } from "@/features/locations/api";
import { errorMessage } from "@/lib/api";

type Param = "threshold_percent" | "weeks" | "by_hour" | "floor_percent" | "at_hour";

const PARAMS: Record<AlertKind, { name: Param; label: string; min: number; max: number; optional?: boolean }[]> = {
  sales_low: [],
  sales_high: [],
  transactions_low: [],
  transactions_high: [],
  conversion_low: [{ name: "floor_percent", label: "Floor (%)", min: 1, max: 100 }],
  footfall_missing: [{ name: "at_hour", label: "Due by local hour", min: 0, max: 23 }],
  square_connection: [],
  rates_stale: [],
};
for (const kind of ["sales_low", "sales_high", "transactions_low", "transactions_high"] as const) {
  PARAMS[kind] = [
    { name: "threshold_percent", label: "Threshold (%)", min: 1, max: 1000 },
    { name: "weeks", label: "Weeks for the usual", min: 4, max: 8 },
    { name: "by_hour", label: "Judge today by local hour (empty: yesterday's whole day)", min: 1, max: 23, optional: true },
  ];
}

function RuleEditor({
  rule,
  title,
  help,
  disabled,
  onChange,
  onRemove,
}: {
  rule: AlertRule;
  title: string;
  help: string;
  disabled: boolean;
  onChange: (rule: AlertRule) => void;
  onRemove?: () => void;
}) {
  const id = `${rule.location_id ?? "org"}-${rule.kind}`;
  return (
    <Paper withBorder p="md" radius="md" data-testid={`rule-${id}`}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start">
          <Switch
            label={title}
            description={help}
            checked={rule.enabled}
            disabled={disabled}
            onChange={(event) => onChange({ ...rule, enabled: event.currentTarget.checked })}
          />
          {onRemove && !disabled && (
            <Button variant="subtle" color="red" size="xs" onClick={onRemove}>
              Remove override
            </Button>
          )}
        </Group>
        {PARAMS[rule.kind].length > 0 && (
          <Group gap="sm" align="flex-end">
            {PARAMS[rule.kind].map((param) => (
              <NumberInput
                key={param.name}
                label={param.label}
                aria-label={`${title}: ${param.label}`}
                min={param.min}
                max={param.max}
                allowDecimal={false}
                disabled={disabled}
                value={rule[param.name] ?? ""}
                onChange={(value) =>
                  onChange({ ...rule, [param.name]: value === "" ? null : Number(value) })
                }
                w={param.optional ? 320 : 180}
              />
            ))}
          </Group>
        )}
      </Stack>
    </Paper>
  );
}

/**
 * The alert rules: each kind on or off and tuned, quiet hours, per-store overrides. An owner or
 * admin changes them all; a manager gives their own stores rules of their own.
 */
export default function AlertRulesPage() {
  const me = useMe();
  const rules = useAlertRules();
  const locations = useLocations();
  const saveAll = useSaveAlertRules();
  const saveStores = useSaveStoreOverrides();
  const [draft, setDraft] = useState<AlertRules | null>(null);
  const [saved, setSaved] = useState(false);
  const [newStore, setNewStore] = useState<string | null>(null);
  const [newKind, setNewKind] = useState<string | null>(null);

  useEffect(() => {
    if (rules.data) setDraft(rules.data);
  }, [rules.data]);

  if (rules.isError) return <ErrorState message={errorMessage(rules.error)} onRetry={() => void rules.refetch()} />;
  if (!draft || !me.data) return <Loading label="Loading alert rules" />;
  const canEdit = me.data.role === "owner" || me.data.role === "admin";
  // A manager tunes the stores granted to them (the only ones they see here).
  const canEditStores = canEdit || me.data.role === "manager";
  const save = canEdit ? saveAll : saveStores;

  const change = (next: AlertRules) => {
    setDraft(next);
    setSaved(false);
  };
  const setRule = (index: number, rule: AlertRule) =>
    change({ ...draft, rules: draft.rules.map((r, i) => (i === index ? rule : r)) });
  const setOverride = (index: number, rule: AlertRule) =>
    change({ ...draft, overrides: draft.overrides.map((r, i) => (i === index ? rule : r)) });
  const addOverride = () => {
    const store = locations.data?.items.find((loc) => String(loc.id) === newStore);
    const base = draft.rules.find((r) => r.kind === newKind);
    if (!store || !base) return;
    change({
      ...draft,
      overrides: [...draft.overrides, { ...base, location_id: store.id, location_name: store.name }],
    });
    setNewStore(null);
    setNewKind(null);
  };
  const taken = new Set(draft.overrides.map((o) => `${o.location_id}-${o.kind}`));
  const onSave = () => {
    const done = { onSuccess: () => setSaved(true) };
    if (canEdit) {
      saveAll.mutate(
        {
          quiet_hours: draft.quiet_hours,
          rules: draft.rules.map(ruleIn),
          overrides: draft.overrides.map(ruleIn),
        },
        done,
      );
    } else {
      const stores = (locations.data?.items ?? []).map((loc) => loc.id);
      if (stores.length > 0) saveStores.mutate({ location_ids: stores, overrides: draft.overrides.map(ruleIn) }, done);
    }
  };

  return (
    <Stack gap="lg">
      <PageHeader
        title="Alert rules"
        description="What Teliporter watches and mails about. The usual for a day is the mean of the same weekday over the last weeks the store traded."
        actions={
          <Anchor component={Link} to="/alerts">
            Back to alerts
          </Anchor>
        }
      />
      {!canEditStores && <Alert color="gray">Only an owner, an admin or a store's manager can change the alert rules.</Alert>}
      {canEditStores && !canEdit && (
        <Alert color="gray">
          An owner or admin sets the rules for every store and the quiet hours; you can give your stores rules of
          their own under Store overrides.
        </Alert>
      )}
      <Paper withBorder p="md" radius="md">
        <Stack gap="xs">
          <Title order={2} size="h4">
            Quiet hours
          </Title>
          <Text size="sm" c="gray.7">
            Alerts found in quiet hours (each store's local time) are mailed when they end.
          </Text>
          <Switch
            label="Hold alert mail during quiet hours"
            checked={draft.quiet_hours.enabled ?? true}
            disabled={!canEdit}
            onChange={(event) =>
              change({ ...draft, quiet_hours: { ...draft.quiet_hours, enabled: event.currentTarget.checked } })
            }
          />
          <Group gap="sm">
            <NumberInput
              label="From hour"
              min={0}
              max={23}
              allowDecimal={false}
              disabled={!canEdit}
              value={draft.quiet_hours.from_hour ?? 21}
              onChange={(value) => change({ ...draft, quiet_hours: { ...draft.quiet_hours, from_hour: Number(value) } })}
              w={140}
            />
            <NumberInput
              label="Until hour"
              min={0}
              max={23}
              allowDecimal={false}
              disabled={!canEdit}
              value={draft.quiet_hours.to_hour ?? 7}
              onChange={(value) => change({ ...draft, quiet_hours: { ...draft.quiet_hours, to_hour: Number(value) } })}
              w={140}
            />
          </Group>
        </Stack>
      </Paper>
      <Title order={2} size="h4">
        Rules for every store
      </Title>
      {draft.rules.map((rule, index) => {
        const kind = KINDS.find((k) => k.kind === rule.kind);
        return (
          <RuleEditor
            key={rule.kind}
            rule={rule}
            title={kind?.label ?? rule.kind}
            help={kind?.help ?? ""}
            disabled={!canEdit}
            onChange={(next) => setRule(index, next)}
          />
        );
      })}
      <Title order={2} size="h4">
        Store overrides
      </Title>
      <Text size="sm" c="gray.7">
        A store's own rule replaces the rule for every store there.
      </Text>
      {draft.overrides.length === 0 && <Text c="gray.7">No store has a rule of its own.</Text>}
      {draft.overrides.map((rule, index) => (
        <RuleEditor
          key={`${rule.location_id}-${rule.kind}`}
          rule={rule}
          title={`${rule.location_name ?? `Store ${rule.location_id}`}: ${kindLabel(rule.kind)}`}
          help={KINDS.find((k) => k.kind === rule.kind)?.help ?? ""}
          disabled={!canEditStores}
          onChange={(next) => setOverride(index, next)}
          onRemove={() => change({ ...draft, overrides: draft.overrides.filter((_, i) => i !== index) })}
        />
      ))}
      {canEditStores && (
        <Group gap="sm" align="flex-end">
          <Select
            label="Store"
            placeholder="Choose a store"
            data={(locations.data?.items ?? []).map((loc) => ({ value: String(loc.id), label: loc.name }))}
            value={newStore}
            onChange={setNewStore}
            w={220}
          />
          <Select
            label="Rule"
            placeholder="Choose a rule"
            data={KINDS.filter((k) => k.store).map((k) => ({
              value: k.kind,
              label: k.label,
              disabled: taken.has(`${newStore}-${k.kind}`),
            }))}
            value={newKind}
            onChange={setNewKind}
            w={260}
          />
          <Button variant="default" onClick={addOverride} disabled={!newStore || !newKind}>
            Add override
          </Button>
        </Group>
      )}
      {canEditStores && (
        <Group>
          <Button onClick={onSave} loading={save.isPending}>
            {canEdit ? "Save alert rules" : "Save store rules"}
          </Button>
          {saved && (
            <Text c="green.8" role="status">
              Saved
            </Text>
          )}
        </Group>
      )}
      {save.isError && <Alert color="red">{errorMessage(save.error)}</Alert>}
    </Stack>
  );
}
