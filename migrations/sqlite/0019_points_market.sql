-- Points as a ledger (TimeOverflow's model): every transfer moves points from one account to
-- another as two immutable movements summing to zero; an account's balance is kept beside them
-- for the conditional updates that stop it going below zero (a CHECK makes sure of it). The
-- issuing account of a village (kind 'source') is the only one that goes negative: it is where
-- earned points come from. The 文明超市 (civilization supermarket) of a village or community
-- holds goods with a stock that never goes below zero either; every stock change is a row.

CREATE TABLE point_accounts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    owner_id    INTEGER NOT NULL,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    balance     INTEGER NOT NULL DEFAULT 0,
    card_code   TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, owner_id),
    CHECK (kind = 'source' OR balance >= 0)
);
CREATE UNIQUE INDEX point_accounts_card ON point_accounts(card_code);
CREATE INDEX point_accounts_org ON point_accounts(org_id, kind);

CREATE TABLE point_transfers (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    from_account  INTEGER NOT NULL REFERENCES point_accounts(id),
    to_account    INTEGER NOT NULL REFERENCES point_accounts(id),
    points        INTEGER NOT NULL CHECK (points > 0),
    item          TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    reverses_id   INTEGER REFERENCES point_transfers(id),
    on_day        TEXT NOT NULL,
    by_user_id    INTEGER,
    at            INTEGER NOT NULL
);
CREATE UNIQUE INDEX point_transfers_reverses ON point_transfers(reverses_id);

CREATE TABLE point_movements (
    id           INTEGER PRIMARY KEY,
    transfer_id  INTEGER NOT NULL REFERENCES point_transfers(id),
    account_id   INTEGER NOT NULL REFERENCES point_accounts(id),
    points       INTEGER NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX point_movements_account ON point_movements(account_id, id);
CREATE INDEX point_movements_transfer ON point_movements(transfer_id);

CREATE TABLE markets (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL UNIQUE REFERENCES orgs(id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE market_goods (
    id          INTEGER PRIMARY KEY,
    market_id   INTEGER NOT NULL REFERENCES markets(id),
    name        TEXT NOT NULL,
    unit        TEXT NOT NULL DEFAULT '',
    price       INTEGER NOT NULL CHECK (price > 0),
    stock       INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    created_at  INTEGER NOT NULL,
    UNIQUE (market_id, name)
);

CREATE TABLE market_stock (
    id           INTEGER PRIMARY KEY,
    good_id      INTEGER NOT NULL REFERENCES market_goods(id),
    delta        INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    transfer_id  INTEGER REFERENCES point_transfers(id),
    on_day       TEXT NOT NULL,
    by_user_id   INTEGER,
    at           INTEGER NOT NULL
);
CREATE INDEX market_stock_good ON market_stock(good_id, id);

CREATE TRIGGER point_transfers_no_update BEFORE UPDATE ON point_transfers
BEGIN SELECT RAISE(ABORT, 'point_transfers is append-only'); END;
CREATE TRIGGER point_transfers_no_delete BEFORE DELETE ON point_transfers
BEGIN SELECT RAISE(ABORT, 'point_transfers is append-only'); END;
CREATE TRIGGER point_movements_no_update BEFORE UPDATE ON point_movements
BEGIN SELECT RAISE(ABORT, 'point_movements is append-only'); END;
CREATE TRIGGER point_movements_no_delete BEFORE DELETE ON point_movements
BEGIN SELECT RAISE(ABORT, 'point_movements is append-only'); END;
CREATE TRIGGER market_stock_no_update BEFORE UPDATE ON market_stock
BEGIN SELECT RAISE(ABORT, 'market_stock is append-only'); END;
CREATE TRIGGER market_stock_no_delete BEFORE DELETE ON market_stock
BEGIN SELECT RAISE(ABORT, 'market_stock is append-only'); END;
