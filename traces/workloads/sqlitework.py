#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""sqlitework.py DB: the database trace's workload: python3's sqlite3
inserting 1M rows into a file database (a 256 MiB page cache), indexing
them and running a few aggregate queries."""
import os
import random
import sqlite3
import sys

path = sys.argv[1] if len(sys.argv) > 1 else '/tmp/sa-trace.db'
if os.path.exists(path):
    os.unlink(path)
r = random.Random(5)
db = sqlite3.connect(path)
db.execute('PRAGMA cache_size = -262144')
db.execute('PRAGMA journal_mode = WAL')
db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, name TEXT, v REAL)')
db.executemany('INSERT INTO t (k, name, v) VALUES (?, ?, ?)',
               ((r.randrange(1 << 30), 'n%x' % r.getrandbits(48), r.random())
                for _ in range(1000000)))
db.commit()
db.execute('CREATE INDEX t_k ON t (k)')
db.execute('CREATE INDEX t_name ON t (name)')
db.commit()
print(db.execute('SELECT count(*), sum(v), count(DISTINCT k % 1000) FROM t').fetchone())
db.close()
os.unlink(path)
