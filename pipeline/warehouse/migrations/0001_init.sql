-- Loads: every delivered file and what became of it. Rows of the canonical
-- tables count only when their load_id has a row here with status 'loaded'.
CREATE TABLE IF NOT EXISTS loads (
    load_id String,
    source String,
    dataset String,
    file String,
    sha256 String,
    rows UInt64,
    loaded_at DateTime,
    status String,
    message String,
    -- what rejected the file, for messages in French and Dutch
    problem_line UInt32,
    problem_field String,
    problem_column String,
    problem_code String,
    problem_value String,
    problem_detail String,
    -- orders the records of one load (DateTime has whole seconds only)
    recorded_ns UInt64
) ENGINE = MergeTree() ORDER BY (source, sha256, loaded_at);

CREATE TABLE IF NOT EXISTS job_runs (
    run_id String,
    job String,
    started_at DateTime,
    finished_at DateTime,
    status String,
    rows UInt64,
    message String,
    revision UInt8
) ENGINE = MergeTree() ORDER BY (started_at, run_id);

CREATE TABLE IF NOT EXISTS contacts (
    contact_date Date,
    contact_time String,
    team String,
    place_type String,
    postcode String,
    nis String,
    person_key String,
    poles Array(String),
    referral UInt8,
    referral_destination String,
    syringes UInt32,
    kits UInt32,
    naloxone UInt32,
    area_key String,
    load_id String,
    source String,
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
    load_id String,
    source String,
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
    load_id String,
    source String,
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
    person_key String,
    area_key String,
    load_id String,
    source String,
    line UInt32
) ENGINE = MergeTree() PARTITION BY toYear(demand_date) ORDER BY (demand_date, area_key);

-- Reference geography, one version per distinct content.
CREATE TABLE IF NOT EXISTS geo_versions (
    version UInt64,
    content_hash String,
    loaded_at DateTime,
    split_source String,
    population_source String
) ENGINE = MergeTree() ORDER BY version;

CREATE TABLE IF NOT EXISTS geo_bassins (
    version UInt64,
    code String,
    name_fr String,
    name_nl String
) ENGINE = MergeTree() ORDER BY (version, code);

CREATE TABLE IF NOT EXISTS geo_communes (
    version UInt64,
    nis String,
    name_fr String,
    name_nl String,
    main_postcode String,
    bassin String
) ENGINE = MergeTree() ORDER BY (version, nis);

CREATE TABLE IF NOT EXISTS geo_areas (
    version UInt64,
    area_key String,
    nis String,
    postcode String,
    label String,
    bassin String,
    bassin_status String,
    population UInt32,
    population_date Date,
    population_status String
) ENGINE = MergeTree() ORDER BY (version, area_key);

-- Indicator values: each computing run writes a whole set; readers take the
-- latest run recorded in indicator_runs.
CREATE TABLE IF NOT EXISTS indicator_values (
    run_id String,
    indicator String,
    level String,
    code String,
    period Date,
    value Float64,
    numerator Float64,
    denominator Float64,
    estimated UInt8
) ENGINE = MergeTree() ORDER BY (run_id, indicator, level, code, period);

CREATE TABLE IF NOT EXISTS indicator_runs (
    run_id String,
    computed_at DateTime,
    geo_version UInt64,
    value_count UInt64,
    -- orders runs stored within the same second
    recorded_ns UInt64
) ENGINE = MergeTree() ORDER BY (computed_at, run_id);
