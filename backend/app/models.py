"""Imports every domain's models so metadata (Alembic, tests) sees all tables."""

from app.alerts.models import AlertOccurrence, AlertRule, AlertSettings
from app.apikeys.models import ApiKey
from app.auth.models import LoginAttempt, PasswordResetToken, RefreshToken
from app.exports.models import Export
from app.footfall.models import FootfallAudit, FootfallCount, FootfallCounter, FootfallEntry
from app.fx.models import ExchangeRate, ExchangeRateFetch, RatesEpoch
from app.health.models import WorkerHeartbeat
from app.locations.models import Location, LocationGroup, LocationRecalculation, UserLocation
from app.mail.models import MailMessage
from app.notifications.models import (
    DigestSend,
    DigestSubscription,
    DigestUnsubscribeToken,
    NotificationSettings,
)
from app.organizations.models import Organization
from app.reports.models import (
    HourDaySums,
    LineDaySet,
    LineDaySums,
    LocationHourSums,
    MonthDaySums,
    OrgDaySums,
)
from app.rollups.models import (
    MonthVersion,
    RollupDay,
    RollupHour,
    RollupLine,
    RollupOrgLine,
    RollupTender,
)
from app.sales.models import (
    CatalogCategory,
    CatalogItem,
    CatalogVariation,
    SaleLine,
    SaleOrder,
    SalePayment,
    SalePaymentRefund,
    SaleRefund,
    SaleTender,
    TeamMember,
)
from app.square.models import (
    OAuthState,
    SquareConnection,
    SyncRun,
    SyncWindow,
    WebhookEvent,
)
from app.users.models import User

__all__ = [
    "AlertOccurrence",
    "AlertRule",
    "AlertSettings",
    "ApiKey",
    "CatalogCategory",
    "CatalogItem",
    "CatalogVariation",
    "DigestSend",
    "DigestSubscription",
    "DigestUnsubscribeToken",
    "ExchangeRate",
    "ExchangeRateFetch",
    "Export",
    "FootfallAudit",
    "FootfallCount",
    "FootfallCounter",
    "FootfallEntry",
    "HourDaySums",
    "LineDaySet",
    "LineDaySums",
    "Location",
    "LocationGroup",
    "LocationHourSums",
    "LocationRecalculation",
    "LoginAttempt",
    "MailMessage",
    "MonthDaySums",
    "MonthVersion",
    "NotificationSettings",
    "OAuthState",
    "OrgDaySums",
    "Organization",
    "PasswordResetToken",
    "RatesEpoch",
    "RefreshToken",
    "RollupDay",
    "RollupHour",
    "RollupLine",
    "RollupOrgLine",
    "RollupTender",
    "SaleLine",
    "SaleOrder",
    "SalePayment",
    "SalePaymentRefund",
    "SaleRefund",
    "SaleTender",
    "SquareConnection",
    "SyncRun",
    "SyncWindow",
    "TeamMember",
    "User",
    "UserLocation",
    "WebhookEvent",
    "WorkerHeartbeat",
]
