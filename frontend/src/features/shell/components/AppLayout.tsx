import {
  AppShell,
  Avatar,
  Burger,
  Group,
  Menu,
  NavLink,
  Stack,
  Text,
  UnstyledButton,
} from "@mantine/core";
import { useDisclosure, useMediaQuery } from "@mantine/hooks";
import {
  IconBell,
  IconChartBar,
  IconChevronDown,
  IconClockHour4,
  IconHelpCircle,
  IconLayoutDashboard,
  IconLogout,
  IconMail,
  IconSettings,
  IconUser,
  IconUsers,
} from "@tabler/icons-react";
import { Suspense, useEffect } from "react";
import { Link as RouterLink, NavLink as RouterNavLink, Outlet, useLocation } from "react-router";

import { ErrorState } from "@/components/ui/ErrorState";
import { Loading } from "@/components/ui/Loading";
import { useMe, useSignOut } from "@/features/auth/api";
import { CatalogGate } from "@/features/catalog/components/CatalogGate";
import { useLocalMailbox } from "@/features/mail/api";
import { errorMessage } from "@/lib/api";

const NAV = [
  { to: "/", label: "Dashboard", icon: IconLayoutDashboard, end: true },
  { to: "/reports", label: "Reports", icon: IconChartBar, end: false },
  { to: "/footfall", label: "Footfall", icon: IconUsers, end: false },
  { to: "/traffic", label: "Traffic", icon: IconClockHour4, end: false },
  { to: "/alerts", label: "Alerts", icon: IconBell, end: false },
  { to: "/settings", label: "Settings", icon: IconSettings, end: false },
];

/** The signed-in frame: header with the user menu, navigation (a drawer on a phone), content. */
export function AppLayout() {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const me = useMe();
  const signOut = useSignOut();
  // Under `make run` only: the mail the local SMTP listener caught (invitation links...).
  const mailbox = useLocalMailbox();
  // On a phone the closed drawer is only moved off screen: keep it out of the tab order too.
  const phone = useMediaQuery("(max-width: 47.99em)");

  useEffect(close, [location.pathname, close]);

  const onSignOut = () => signOut.mutate();

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? "Close navigation" : "Open navigation"}
            />
            <Text fw={700} size="lg" c="indigo.8">
              Teliporter
            </Text>
          </Group>
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <UnstyledButton aria-label="Account menu" data-testid="account-menu">
                <Group gap="xs" wrap="nowrap">
                  <Avatar size="sm" radius="xl" color="indigo" alt="">
                    {me.data?.full_name.slice(0, 1).toUpperCase()}
                  </Avatar>
                  <Stack gap={0} visibleFrom="xs">
                    <Text size="sm" fw={500} lh={1.2}>
                      {me.data?.full_name ?? "…"}
                    </Text>
                    <Text size="xs" c="gray.7" lh={1.2}>
                      {me.data?.organization.name}
                    </Text>
                  </Stack>
                  <IconChevronDown size={14} aria-hidden />
                </Group>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              {/* Who is signed in, as a disabled item: a menu may hold only items (axe). */}
              <Menu.Item disabled data-testid="account-menu-who" style={{ cursor: "default", opacity: 1 }}>
                <Text component="span" display="block" size="sm" fw={600} c="black">
                  {me.data?.full_name}
                </Text>
                <Text component="span" display="block" size="xs" c="gray.8">
                  {me.data?.email}
                </Text>
              </Menu.Item>
              {/* Focus moves to the first item as the menu opens (the theme leaves out Mantine's
                  focus placeholder, which a role=menu may not hold). */}
              <Menu.Item
                component={RouterLink}
                to="/account"
                leftSection={<IconUser size={16} aria-hidden />}
                data-autofocus
              >
                Your account
              </Menu.Item>
              <Menu.Item
                component={RouterLink}
                to="/settings/notifications"
                leftSection={<IconBell size={16} aria-hidden />}
              >
                Notifications
              </Menu.Item>
              <Menu.Item
                component={RouterLink}
                to="/help/metrics"
                leftSection={<IconHelpCircle size={16} aria-hidden />}
              >
                What the figures mean
              </Menu.Item>
              {mailbox.data?.enabled && (
                <Menu.Item
                  component={RouterLink}
                  to="/dev/mailbox"
                  leftSection={<IconMail size={16} aria-hidden />}
                >
                  Development mailbox
                </Menu.Item>
              )}
              <Menu.Item onClick={onSignOut} leftSection={<IconLogout size={16} aria-hidden />}>
                Sign out
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main" inert={phone && !opened}>
        {NAV.map((item) => (
          <NavLink
            key={item.to}
            component={RouterNavLink}
            to={item.to}
            end={item.end}
            label={item.label}
            variant="filled"
            leftSection={<item.icon size={18} aria-hidden />}
            active={item.end ? location.pathname === item.to : location.pathname.startsWith(item.to)}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {me.isError ? (
          <ErrorState message={errorMessage(me.error)} onRetry={() => void me.refetch()} />
        ) : (
          // Every page's labels, formats and report tabs come from the catalog: loaded first.
          <CatalogGate>
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </CatalogGate>
        )}
      </AppShell.Main>
    </AppShell>
  );
}
