"""B2's DuckDB comparator: every pact's status on a date, read by DuckDB
straight from the stream files (read_json over *.jsonl), with no load
before: what a user of DuckDB would run against a pactlog store.

Usage: duckdb_list.py STORE DATE   (prints "pact status" lines, by pact)
"""

import sys

import duckdb

store, day = sys.argv[1:3]
rows = duckdb.sql(
    f"""
    SELECT pact,
           arg_max(status, (effective, seq))
               FILTER (WHERE kind = 'status' AND effective <= '{day}')
    FROM (
        SELECT pact, seq, kind, status, "on" AS effective
        FROM read_json('{store}/*.jsonl', format = 'newline_delimited',
                       columns = {{pact: 'VARCHAR', seq: 'BIGINT', kind: 'VARCHAR',
                                   status: 'VARCHAR', "on": 'VARCHAR'}})
    )
    GROUP BY pact
    ORDER BY pact
    """
).fetchall()
out = sys.stdout
for pact, status in rows:
    out.write(f"{pact} {status or 'null'}\n")
