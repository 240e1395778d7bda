// The app's pages, each its own chunk, loaded when first visited (or, for the page a load opens
// on, from the start: preloadPage). Kept apart from the router so that the first load can ask for
// the page's chunk before the router and the component library have arrived and run.
export const pages = {
  signIn: () => import("@/features/auth/SignInPage"),
  register: () => import("@/features/auth/RegisterPage"),
  acceptInvite: () => import("@/features/auth/AcceptInvitePage"),
  forgotPassword: () => import("@/features/auth/ForgotPasswordPage"),
  resetPassword: () => import("@/features/auth/ResetPasswordPage"),
  confirmEmail: () => import("@/features/auth/ConfirmEmailPage"),
  unsubscribe: () => import("@/features/notifications/UnsubscribePage"),
  mailbox: () => import("@/features/mail/MailboxPage"),
  dashboard: () => import("@/features/dashboard/DashboardPage"),
  alerts: () => import("@/features/alerts/AlertsPage"),
  alertRules: () => import("@/features/alerts/AlertRulesPage"),
  reports: () => import("@/features/reports/ReportsPage"),
  footfall: () => import("@/features/footfall/FootfallPage"),
  traffic: () => import("@/features/traffic/TrafficPage"),
  settings: () => import("@/features/settings/SettingsPage"),
  account: () => import("@/features/account/AccountPage"),
  glossary: () => import("@/features/help/GlossaryPage"),
};

const PAGE_OF_PATH: Record<string, keyof typeof pages> = {
  "/": "dashboard",
  "/sign-in": "signIn",
  "/register": "register",
  "/accept-invite": "acceptInvite",
  "/forgot-password": "forgotPassword",
  "/reset-password": "resetPassword",
  "/confirm-email": "confirmEmail",
  "/unsubscribe": "unsubscribe",
  "/dev/mailbox": "mailbox",
  "/reports": "reports",
  "/footfall": "footfall",
  "/traffic": "traffic",
  "/alerts": "alerts",
  "/alerts/rules": "alertRules",
  "/settings": "settings",
  "/settings/stores": "settings",
  "/settings/square": "settings",
  "/settings/api-keys": "settings",
  "/settings/notifications": "settings",
  "/settings/mail": "settings",
  "/account": "account",
  "/help/metrics": "glossary",
};

/** Starts downloading the chunk of the page at `pathname` (and the chunks it imports), so it
 * arrives while the session is being restored instead of after. */
export function preloadPage(pathname: string): void {
  const page = PAGE_OF_PATH[pathname.replace(/(.)\/$/, "$1")];
  if (page) void pages[page]().catch(() => undefined);
}
