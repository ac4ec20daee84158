"""The central database's tables: every row keyed by (site, the site's own id).

Its own metadata, apart from the site's store: the central database holds copies of many sites'
rows and only what the fleet views need. Per-device polls are folded into one row per device
and day (``device_days``): a year of 15-minute polls of 25 devices is 876,000 rows per site,
and the views need only the last status and the monitoring gaps. Drift transitions are the
site's events (``drift_opened``, ``drift_closed``...) and audit entries, copied as they are.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _site() -> Column[str]:
    return Column("site", String(128), primary_key=True)


def _at(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=True)


sites = Table(
    "sites",
    metadata,
    _site(),
    Column("client", String(255), nullable=False, default=""),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("sync_every_s", Float, nullable=True),
    _at("last_sync_at"),
    _at("last_poll_at"),
)

devices = Table(
    "devices",
    metadata,
    _site(),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False),
    Column("platform", String(64), nullable=False),
    Column("hostname", String(255), nullable=False),
    _at("last_poll_at"),
    Column("last_status", String(32)),
    Column("last_error_kind", String(32)),
    _at("last_success_at"),
    _at("last_change_at"),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    _at("removed_at"),
)

polls = Table(
    "polls",
    metadata,
    _site(),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    _at("finished_at"),
    Column("trigger", String(32), nullable=False),
    Column("observed_commit", String(64)),
    Column("approved_commit", String(64)),
    Column("summary", JSON),
)

device_days = Table(
    "device_days",
    metadata,
    _site(),
    Column("device_id", BigInteger, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("polls", Integer, nullable=False),
    Column("ok", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("changed", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("quarantined", Integer, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("last_status", String(32), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

drift_items = Table(
    "drift_items",
    metadata,
    _site(),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("device_id", BigInteger, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("category", String(32), nullable=False),
    Column("path", JSON, nullable=False),
    Column("removed", JSON, nullable=False),
    Column("added", JSON, nullable=False),
    Column("verdict", String(32), nullable=False),
    Column("reason", String(64)),
    Column("ticket_id", String(128)),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    _at("closed_at"),
    Column("close_reason", String(32)),
    Column("accepted_by", String(255)),
    Column("accept_reason", Text),
)

events = Table(
    "events",
    metadata,
    _site(),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("dedupe_key", String(255), nullable=False),
    Column("device", String(255)),
    Column("drift_item_id", BigInteger),
    Column("poll_id", BigInteger),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    _site(),
    Column("id", String(128), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    _site(),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

report_files = Table(
    "report_files",
    metadata,
    _site(),
    Column("path", String(512), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("modified_at", DateTime(timezone=True), nullable=False),
)

watermarks = Table(
    "sync_watermarks",
    metadata,
    _site(),
    Column("table_name", String(64), primary_key=True),
    Column("last_id", BigInteger, nullable=False, default=0),
    _at("last_at"),
    _at("synced_at"),
)

#: Each device's latest structured state (VLANs, addresses, neighbors...): the site's
#: ``<device>.state.json`` as of its last refresh, for the web page's device view.
device_states = Table(
    "device_states",
    metadata,
    _site(),
    Column("device_id", BigInteger, primary_key=True, autoincrement=False),
    Column("collected_at", DateTime(timezone=True), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("state", JSON, nullable=False),
)

#: The documents' bytes (audit, monthly, intervention PDFs and HTML), for download from the web
#: page: copied once per content (``sha256``), next to their metadata in ``report_files``.
report_contents = Table(
    "report_contents",
    metadata,
    _site(),
    Column("path", String(512), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

# --- the web page's own tables (revision f0002): written by the web application's role, never
# by a site; a site's role only reads the change plans of its own site (row-level security).

#: Accounts of the web page: provider admins and technicians see every site; a client user sees
#: the sites of its ``client`` only, and approves or refuses their change plans.
web_users = Table(
    "web_users",
    metadata,
    Column("login", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # admin | technician | client
    Column("client", String(255), nullable=True),  # required for role client
    Column("display_name", String(255), nullable=False, default=""),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("created_at", DateTime(timezone=True), nullable=False),
    _at("disabled_at"),
    _at("last_login_at"),
)

#: Server-side sessions: the cookie carries a random token, the table its SHA-256 (a stolen
#: database gives no usable cookie); logout and expiry delete the row.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("login", String(64), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ip", String(64), nullable=False, default=""),
)

#: Login attempts, for the rate limit (per login and per address) and the record.
web_login_attempts = Table(
    "web_login_attempts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("login", String(64), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("ok", Boolean, nullable=False),
)

#: Change plans drafted on the web page by the provider and approved or refused there by the
#: client. ``plan`` holds the ticket's fields (id, title, devices, groups, whole_site,
#: categories, start, end, rollback, kind, expires_at, mandate, requested_by) as JSON; the
#: approval covers exactly the plan whose canonical JSON hashes to ``plan_sha256``. The site
#: pulls its approved plans at each sync and checks that hash before it authorizes anything.
change_plans = Table(
    "change_plans",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("site", String(128), nullable=False),
    Column("ticket_id", String(128), nullable=False),
    Column("plan", JSON, nullable=False),
    Column("plan_text", Text, nullable=False),  # the plain-language text the client read
    Column("plan_sha256", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # draft|submitted|approved|refused|withdrawn
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(64)),  # the login of the client user who decided
    Column("decided_by_name", String(255)),  # their display name then (revision f0003)
    _at("decided_at"),
    Column("decided_from", String(64)),  # the address the decision came from
    Column("decision_comment", Text),
    UniqueConstraint("site", "ticket_id", name="uq_change_plans_site_ticket"),
)

#: The web page's hash-chained audit trail (logins, plans drafted, approved, refused...).
web_audit = Table(
    "web_audit",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

#: Which database role writes which site's rows (read by the row-level security policies).
site_roles = Table(
    "site_roles",
    metadata,
    Column("role_name", String(63), primary_key=True),
    Column("site", String(128), nullable=False),
)

#: The tables a site writes, all under row-level security on ``site``.
SITE_TABLES = (
    sites,
    devices,
    polls,
    device_days,
    drift_items,
    events,
    tickets,
    audit_entries,
    report_files,
    watermarks,
    device_states,
    report_contents,
)

#: Tables a site's role may read (its own site's rows only), never write.
SITE_READ_TABLES = (change_plans,)

#: The web page's tables (the web role writes them; no site role sees them).
WEB_TABLES = (web_users, web_sessions, web_login_attempts, change_plans, web_audit)
