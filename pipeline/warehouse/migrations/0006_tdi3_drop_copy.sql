-- TDI protocol 3.0, last step (see 0004): the copy is dropped once
-- treatment_demands is made anew, so no second copy of the rows outlives
-- the deletions of loads.
DROP TABLE IF EXISTS treatment_demands_tdi3;
