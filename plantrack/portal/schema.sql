-- The portal's own database: accounts, one-time links, sessions, login attempts,
-- uploads and the audit log. SQLite in WAL mode under $PLANTRACK_HOME/portal/,
-- never the warehouse: the portal must not wait for, or block, the quarterly run.
-- Times are ISO 8601 UTC text ('2021-07-05T01:02:03.123456Z').

-- One row per person who may log in; a steward belongs to one reporting unit.
create table if not exists accounts (
    id             integer primary key,
    login          text not null unique,        -- what she types on the login page
    name           text not null,               -- her name, as shown
    unit           text not null,               -- reporting unit code (catalog)
    is_admin       integer not null default 0,  -- the bureau: sees every unit
    password_hash  text,                        -- argon2id; null until the one-time link is used
    created_at     text not null,
    disabled_at    text,
    last_login_at  text
);

-- One-time login links: only a hash of the token is kept.
create table if not exists login_tokens (
    token_hash  text primary key,
    account_id  integer not null references accounts(id),
    created_at  text not null,
    expires_at  text not null,
    used_at     text
);

-- Logged-in sessions: the cookie carries the signed session id, the row its hash.
create table if not exists sessions (
    id_hash     text primary key,
    account_id  integer not null references accounts(id),
    created_at  text not null,
    expires_at  text not null,
    last_seen   text not null
);

-- Failed logins, by login name and by client address, for rate limiting.
create table if not exists login_failures (
    key  text not null,
    at   text not null
);
create index if not exists login_failures_key on login_failures (key, at);

-- Every file a steward uploaded and kept (unreadable files are never kept).
create table if not exists uploads (
    id             text primary key,            -- random, unguessable
    account_id     integer not null references accounts(id),
    unit           text not null,
    quarter        text not null,
    original_name  text not null,               -- as she named it: shown, never used as a path
    inbox_name     text not null,               -- the server-chosen name it has in the inbox
    stored_path    text not null,
    file_hash      text not null,               -- sha256 of the bytes
    size_bytes     integer not null,
    uploaded_at    text not null,
    errors         integer not null,
    warnings       integer not null,
    verdict_json   text not null,               -- issues and the drawn grid, as shown
    check_seconds  real not null,
    submitted_at   text,                        -- receipt time: when it entered the inbox
    submitted_by   integer references accounts(id)
);
create index if not exists uploads_unit on uploads (unit, quarter, uploaded_at);

-- Who did what, when: logins, uploads, checks, downloads, submissions, account changes.
create table if not exists audit_log (
    id          integer primary key,
    at          text not null,
    account_id  integer,
    login       text,
    unit        text,
    action      text not null,
    quarter     text,
    target      text,
    detail      text,
    client      text
);
create index if not exists audit_log_at on audit_log (at);
