-- TDI protocol 3.0: treatment_demands gains the protocol's items (treatment
-- start, living status, nationality, labour status, education, secondary
-- drugs, age at first injection) and stores its code lists. ClickHouse 18.16
-- has no ADD COLUMN IF NOT EXISTS and a cluster takes no ALTER in a
-- migration, so the table is rebuilt under its own name in three steps, each
-- a migration whose statements may run again after a crash: 0004 copies the
-- rows into treatment_demands_tdi3, 0005 makes treatment_demands anew from
-- that copy, 0006 drops the copy.
--
-- Stored values become TDI 3.0 codes where the old ones say the same thing:
-- previously_treated yes/no become previously/never, frequencies "a week"
-- become "days" (4_6_days, 2_3_days), inhalants become volatile_inhalants,
-- and an empty coded value becomes unknown. Other values are kept as they
-- were (self_family_friends and cocaine say less than the new codes). The new
-- items are unknown: treatment_start 1970-01-01, the ages NULL, no secondary
-- drugs.
CREATE TABLE IF NOT EXISTS treatment_demands_tdi3 (
    demand_date Date,
    treatment_start Date,
    centre_type String,
    previously_treated String,
    sex String,
    age Nullable(UInt8),
    postcode String,
    nis String,
    referral_source String,
    living_with String,
    living_with_children String,
    living_where String,
    nationality String,
    labour_status String,
    education String,
    primary_drug String,
    secondary_drugs Array(String),
    route String,
    frequency String,
    age_first_use Nullable(UInt8),
    age_first_injection Nullable(UInt8),
    injecting String,
    opioid_substitution String,
    person_key FixedString(16),
    area_key String,
    record_key String,
    load_id UInt64,
    line UInt32
) ENGINE = MergeTree() PARTITION BY toYear(demand_date) ORDER BY (demand_date, area_key);

INSERT INTO treatment_demands_tdi3 (demand_date, treatment_start, centre_type, previously_treated, sex, age, postcode, nis,
    referral_source, living_with, living_with_children, living_where, nationality, labour_status,
    education, primary_drug, secondary_drugs, route, frequency, age_first_use, age_first_injection,
    injecting, opioid_substitution, person_key, area_key, record_key, load_id, line)
SELECT demand_date, toDate('1970-01-01'),
    if(centre_type = '', 'unknown', centre_type),
    transform(previously_treated, ['yes', 'no', ''], ['previously', 'never', 'unknown'], previously_treated),
    if(sex = '', 'unknown', sex),
    age, postcode, nis,
    if(referral_source = '', 'unknown', referral_source),
    'unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'unknown',
    transform(primary_drug, ['inhalants', ''], ['volatile_inhalants', 'unknown'], primary_drug),
    emptyArrayString(),
    if(route = '', 'unknown', route),
    transform(frequency, ['4_6_week', '2_3_week', ''], ['4_6_days', '2_3_days', 'unknown'], frequency),
    age_first_use, CAST(NULL AS Nullable(UInt8)),
    if(injecting = '', 'unknown', injecting),
    if(opioid_substitution = '', 'unknown', opioid_substitution),
    person_key, area_key, record_key, load_id, line
FROM treatment_demands
WHERE (load_id, line) GLOBAL NOT IN (SELECT load_id, line FROM treatment_demands_tdi3);
