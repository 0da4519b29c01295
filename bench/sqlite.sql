-- The SQLite side of the benchmark: the generated CSV's rows in one table,
-- and an index on (pact, effective). SQLite ends every index key with the
-- rowid, the insertion order, which orders a pact's events as their seq
-- does. `@CSV@` stands for the CSV's path.
CREATE TABLE events(pact TEXT, name TEXT, status TEXT, effective TEXT, source TEXT, url TEXT, note TEXT);
.import --csv --skip 1 '@CSV@' events
CREATE INDEX events_pact_effective ON events(pact, effective);
