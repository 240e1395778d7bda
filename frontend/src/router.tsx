import { lazy, Suspense, type ReactNode } from "react";
import { createBrowserRouter } from "react-router";

import { Loading } from "@/components/ui/Loading";
import { RequireAuth } from "@/features/auth/components/RequireAuth";
import { AppLayout } from "@/features/shell/components/AppLayout";
import { RouteError } from "@/features/shell/components/RouteError";

// Every page is its own chunk, loaded when first visited.
const SignInPage = lazy(() => import("@/features/auth/SignInPage"));
const RegisterPage = lazy(() => import("@/features/auth/RegisterPage"));
const AcceptInvitePage = lazy(() => import("@/features/auth/AcceptInvitePage"));
const ForgotPasswordPage = lazy(() => import("@/features/auth/ForgotPasswordPage"));
const ResetPasswordPage = lazy(() => import("@/features/auth/ResetPasswordPage"));
const MailboxPage = lazy(() => import("@/features/mail/MailboxPage"));
const DashboardPage = lazy(() => import("@/features/dashboard/DashboardPage"));
const ReportsPage = lazy(() => import("@/features/reports/ReportsPage"));
const FootfallPage = lazy(() => import("@/features/footfall/FootfallPage"));
const SettingsPage = lazy(() => import("@/features/settings/SettingsPage"));
const AccountPage = lazy(() => import("@/features/account/AccountPage"));
const GlossaryPage = lazy(() => import("@/features/help/GlossaryPage"));
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
      { path: "settings", element: <SettingsPage /> },
      { path: "settings/stores", element: <SettingsPage /> },
      { path: "settings/square", element: <SettingsPage /> },
      { path: "account", element: <AccountPage /> },
      { path: "help/metrics", element: <GlossaryPage /> },
      { path: "dev/mailbox", element: <MailboxPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);
