import { Stack, Tabs } from "@mantine/core";
import { useLocation, useNavigate } from "react-router";

import { Loading } from "@/components/ui/Loading";
import { PageHeader } from "@/components/ui/PageHeader";
import { ApiKeysSection } from "@/features/apikeys/components/ApiKeysSection";
import { useMe } from "@/features/auth/api";
import { MailLogSection } from "@/features/mail/components/MailLogSection";
import { NotificationsSection } from "@/features/notifications/components/NotificationsSection";
import { GroupsSection } from "@/features/settings/components/GroupsSection";
import { OrganizationSection } from "@/features/settings/components/OrganizationSection";
import { StoresSection } from "@/features/settings/components/StoresSection";
import { UsersSection } from "@/features/settings/components/UsersSection";
import { SquareConnectionsSection } from "@/features/square/components/SquareConnectionsSection";

const TABS = [
  { value: "general", label: "Organization and users", path: "/settings" },
  { value: "stores", label: "Stores and groups", path: "/settings/stores" },
  { value: "square", label: "Square connections", path: "/settings/square" },
  { value: "api-keys", label: "API keys", path: "/settings/api-keys" },
  { value: "notifications", label: "Notifications", path: "/settings/notifications" },
  { value: "mail", label: "Mail log", path: "/settings/mail", adminOnly: true },
] as const;

export default function SettingsPage() {
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const path = location.pathname.replace(/\/$/, "");
  const tab = TABS.find((t) => t.path === path)?.value ?? "general";
  if (!me.data) return <Loading label="Loading settings" />;
  const canEdit = me.data.role === "owner" || me.data.role === "admin";
  return (
    <Stack gap="lg">
      <PageHeader title="Settings" description="Your organization, who can use Teliporter, your stores and their groups, Square, API keys for people counters, and the e-mails you receive" />
      <Tabs
        value={tab}
        onChange={(value) => {
          const target = TABS.find((t) => t.value === value);
          if (target) navigate(target.path);
        }}
        keepMounted={false}
      >
        <Tabs.List aria-label="Settings sections">
          {TABS.filter((t) => canEdit || !("adminOnly" in t)).map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="general" pt="lg">
          <Stack gap="lg">
            <OrganizationSection canEdit={canEdit} />
            <UsersSection canEdit={canEdit} meId={me.data.id} />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="stores" pt="lg">
          <Stack gap="lg">
            <StoresSection canEdit={canEdit} />
            <GroupsSection canEdit={canEdit} />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="square" pt="lg">
          <SquareConnectionsSection canEdit={canEdit} />
        </Tabs.Panel>
        <Tabs.Panel value="api-keys" pt="lg">
          <ApiKeysSection canEdit={canEdit} />
        </Tabs.Panel>
        <Tabs.Panel value="notifications" pt="lg">
          <NotificationsSection />
        </Tabs.Panel>
        {canEdit && (
          <Tabs.Panel value="mail" pt="lg">
            <MailLogSection />
          </Tabs.Panel>
        )}
      </Tabs>
    </Stack>
  );
}
