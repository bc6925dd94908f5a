-- Partial aggregates of each load, for each cell query (its spec, a hash of
-- the statement that builds them): a computation merges them instead of
-- reading every row again, and builds only those of loads it has not seen.
-- Rows with a record id are never kept here: a later delivery of the same
-- record replaces them, so they are read from the canonical tables.
--
-- A build counts once its loads are written to partial_builds; of several
-- builds of one load and spec, the smallest build id is read. Rows of a
-- build that was interrupted before its record stay unread.
CREATE TABLE IF NOT EXISTS cell_partials (
    spec UInt64,
    build UInt64,
    load_id UInt64,
    -- the month of the rows (a stock: their date)
    month Date,
    area_key String,
    category String,
    bucket Float64,
    sums Array(Float64)
) ENGINE = MergeTree() ORDER BY (spec, load_id, month, area_key);

-- Each counted value (a pseudonym, a service id…) met in a month and area
-- with the same categories, once per load; conds holds one bit per measure
-- whose filters one of its rows met.
CREATE TABLE IF NOT EXISTS visit_partials (
    spec UInt64,
    build UInt64,
    load_id UInt64,
    month Date,
    area_key String,
    categories Array(String),
    value String,
    conds UInt64
) ENGINE = MergeTree() ORDER BY (spec, load_id, month, area_key);

CREATE TABLE IF NOT EXISTS partial_builds (
    spec UInt64,
    load_id UInt64,
    build UInt64,
    -- the load's rows with a record id, read from the canonical table
    keyed UInt64,
    built_at DateTime
) ENGINE = MergeTree() ORDER BY (spec, load_id, build);
