-- Rows are told apart by a numeric load id and their line, carry a record
-- key (a keyed hash of the delivered record id, empty when none) and a
-- 16-byte pseudonym. The canonical tables and the loads are rebuilt: every
-- file still in the inbox is loaded again by the next ingest.
DROP TABLE IF EXISTS contacts;
DROP TABLE IF EXISTS federation_activity;
DROP TABLE IF EXISTS services;
DROP TABLE IF EXISTS treatment_demands;
DROP TABLE IF EXISTS loads;

-- Loads: every delivery and what became of it, one row per change of status
-- (the latest recorded_ns wins). Rows of the canonical tables count only
-- while their load's status is 'loaded'.
CREATE TABLE IF NOT EXISTS loads (
    load_id UInt64,
    source String,
    dataset String,
    file String,
    sha256 String,
    delivered_at DateTime,
    loaded_at DateTime,
    status String,
    replace_mode String,
    rows_read UInt64,
    rows_loaded UInt64,
    rows_stored UInt64,
    rows_quarantined UInt64,
    rows_duplicate UInt64,
    months Array(Date),
    -- English summary of the load, never a delivered value
    message String,
    recorded_ns UInt64
) ENGINE = MergeTree() ORDER BY (source, sha256, load_id);

-- Rows set aside with every reason: raw holds the record as delivered (cut to
-- 4 KiB, person identifiers already pseudonymised). The raw text and values
-- are for the operator's `bassins quarantine` only.
CREATE TABLE IF NOT EXISTS quarantine (
    load_id UInt64,
    source String,
    file String,
    line UInt32,
    raw String,
    reason_codes Array(String),
    reason_fields Array(String),
    reason_columns Array(String),
    reason_details Array(String),
    reason_values Array(String),
    recorded_at DateTime
) ENGINE = MergeTree() ORDER BY (source, load_id, line);

-- The months of a load that a later delivery replaces: they stop counting
-- once the replacing load (by_load) is loaded, and count again if it is
-- retracted.
CREATE TABLE IF NOT EXISTS load_masks (
    load_id UInt64,
    month Date,
    by_load UInt64
) ENGINE = MergeTree() ORDER BY (load_id, month);

-- Lines of a load that do not count: records quarantined after the insert
-- (the same id with different content within one delivery).
CREATE TABLE IF NOT EXISTS excluded_rows (
    load_id UInt64,
    line UInt32
) ENGINE = MergeTree() ORDER BY (load_id, line);

CREATE TABLE IF NOT EXISTS contacts (
    contact_date Date,
    contact_time String,
    team String,
    place_type String,
    postcode String,
    nis String,
    person_key FixedString(16),
    poles Array(String),
    referral UInt8,
    referral_destination String,
    syringes UInt32,
    kits UInt32,
    naloxone UInt32,
    area_key String,
    record_key String,
    load_id UInt64,
    line UInt32
) ENGINE = MergeTree() PARTITION BY toYYYYMM(contact_date) ORDER BY (contact_date, area_key, person_key);

CREATE TABLE IF NOT EXISTS federation_activity (
    period Date,
    federation String,
    service_id String,
    service_name String,
    postcode String,
    nis String,
    area_key String,
    measure String,
    value Float64,
    record_key String,
    load_id UInt64,
    line UInt32
) ENGINE = MergeTree() PARTITION BY toYear(period) ORDER BY (period, federation, service_id, measure);

CREATE TABLE IF NOT EXISTS services (
    service_id String,
    name String,
    service_type String,
    federation String,
    address String,
    postcode String,
    nis String,
    reference_date Date,
    area_key String,
    record_key String,
    load_id UInt64,
    line UInt32
) ENGINE = MergeTree() ORDER BY (reference_date, service_id);

CREATE TABLE IF NOT EXISTS treatment_demands (
    demand_date Date,
    centre_type String,
    previously_treated String,
    sex String,
    age Nullable(UInt8),
    postcode String,
    nis String,
    referral_source String,
    primary_drug String,
    route String,
    frequency String,
    age_first_use Nullable(UInt8),
    injecting String,
    opioid_substitution String,
    person_key FixedString(16),
    area_key String,
    record_key String,
    load_id UInt64,
    line UInt32
) ENGINE = MergeTree() PARTITION BY toYear(demand_date) ORDER BY (demand_date, area_key);
