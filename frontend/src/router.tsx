import { lazy, Suspense, type ReactNode } from "react";
import { createBrowserRouter } from "react-router";

import { Loading } from "@/components/ui/Loading";
import { RequireAuth } from "@/features/auth/components/RequireAuth";
import { AppLayout } from "@/features/shell/components/AppLayout";
import { RouteError } from "@/features/shell/components/RouteError";
import { pages } from "@/pages";

const SignInPage = lazy(pages.signIn);
const RegisterPage = lazy(pages.register);
const AcceptInvitePage = lazy(pages.acceptInvite);
const ForgotPasswordPage = lazy(pages.forgotPassword);
const ResetPasswordPage = lazy(pages.resetPassword);
const ConfirmEmailPage = lazy(pages.confirmEmail);
const UnsubscribePage = lazy(pages.unsubscribe);
const MailboxPage = lazy(pages.mailbox);
const DashboardPage = lazy(pages.dashboard);
const AlertsPage = lazy(pages.alerts);
const AlertRulesPage = lazy(pages.alertRules);
const ReportsPage = lazy(pages.reports);
const FootfallPage = lazy(pages.footfall);
const TrafficPage = lazy(pages.traffic);
const SettingsPage = lazy(pages.settings);
const AccountPage = lazy(pages.account);
const GlossaryPage = lazy(pages.glossary);
const NotFoundPage = lazy(() => import("@/features/shell/NotFoundPage"));

const errorElement = <RouteError />;

function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading fullPage />}>{children}</Suspense>;
}

export const router = createBrowserRouter([
  { path: "/sign-in", element: <Page><SignInPage /></Page>, errorElement },
  { path: "/register", element: <Page><RegisterPage /></Page>, errorElement },
  { path: "/accept-invite", element: <Page><AcceptInvitePage /></Page>, errorElement },
  { path: "/forgot-password", element: <Page><ForgotPasswordPage /></Page>, errorElement },
  { path: "/reset-password", element: <Page><ResetPasswordPage /></Page>, errorElement },
  { path: "/confirm-email", element: <Page><ConfirmEmailPage /></Page>, errorElement },
  // A digest's unsubscribe link: no sign-in (its token is the credential).
  { path: "/unsubscribe", element: <Page><UnsubscribePage /></Page>, errorElement },
  {
    path: "/",
    element: (
      <RequireAuth>
        <AppLayout />
      </RequireAuth>
    ),
    errorElement,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: "reports", element: <ReportsPage /> },
      { path: "footfall", element: <FootfallPage /> },
      { path: "traffic", element: <TrafficPage /> },
      { path: "alerts", element: <AlertsPage /> },
      { path: "alerts/rules", element: <AlertRulesPage /> },
      { path: "settings", element: <SettingsPage /> },
      { path: "settings/stores", element: <SettingsPage /> },
      { path: "settings/square", element: <SettingsPage /> },
      { path: "settings/api-keys", element: <SettingsPage /> },
      { path: "settings/notifications", element: <SettingsPage /> },
      { path: "settings/mail", element: <SettingsPage /> },
      { path: "account", element: <AccountPage /> },
      { path: "help/metrics", element: <GlossaryPage /> },
      { path: "dev/mailbox", element: <MailboxPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);
