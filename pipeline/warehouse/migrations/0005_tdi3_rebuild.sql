-- TDI protocol 3.0, second step (see 0004): treatment_demands is made anew
-- with the protocol's items, from the copy 0004 made. Its rows are all in
-- the copy, so dropping it first is safe when the statements run again.
DROP TABLE IF EXISTS treatment_demands;

CREATE TABLE IF NOT EXISTS treatment_demands (
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

INSERT INTO treatment_demands (demand_date, treatment_start, centre_type, previously_treated, sex, age, postcode, nis,
    referral_source, living_with, living_with_children, living_where, nationality, labour_status,
    education, primary_drug, secondary_drugs, route, frequency, age_first_use, age_first_injection,
    injecting, opioid_substitution, person_key, area_key, record_key, load_id, line)
SELECT demand_date, treatment_start, centre_type, previously_treated, sex, age, postcode, nis,
    referral_source, living_with, living_with_children, living_where, nationality, labour_status,
    education, primary_drug, secondary_drugs, route, frequency, age_first_use, age_first_injection,
    injecting, opioid_substitution, person_key, area_key, record_key, load_id, line
FROM treatment_demands_tdi3
WHERE (load_id, line) GLOBAL NOT IN (SELECT load_id, line FROM treatment_demands);
