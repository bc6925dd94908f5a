-- Indicator values by period type, breakdown and category, with the flags
-- and population date a reader needs. Each computing run writes a whole
-- set; readers take the latest run recorded in indicator_runs.
-- indicator_values is left as it was, no longer read.
CREATE TABLE IF NOT EXISTS indicator_cells (
    run_id String,
    indicator String,
    period_type String,
    period Date,
    level String,
    code String,
    -- the breakdown field and its category; empty for the total
    breakdown String,
    category String,
    value Float64,
    numerator Float64,
    denominator Float64,
    estimated UInt8,
    incomplete UInt8,
    -- withheld from publication (small count, or protecting one)
    suppressed UInt8,
    population_date Date
) ENGINE = MergeTree() ORDER BY (run_id, indicator, period_type, level, code, breakdown, category, period);
