-- Server secrets made at first start (random, never shown): the key of the tracking-code HMAC.
CREATE TABLE app_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
