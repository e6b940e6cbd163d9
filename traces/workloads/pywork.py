#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pywork.py: the python3 trace's workload: a dict of 400k records, a
list of them sorted, a JSON dump and load, then a second phase growing a
list of strings (a few seconds, a few hundred MiB)."""
import json
import random

r = random.Random(7)
d = {}
for i in range(400000):
    d['key%07d' % i] = {'id': i, 'v': r.random(), 'tags': [r.randrange(100) for _ in range(3)]}
rows = sorted(d.values(), key=lambda x: x['v'])
s = json.dumps(rows)
back = json.loads(s)
assert len(back) == len(rows)
del d, rows, s
words = []
for i in range(1000000):
    words.append('w%d-%x' % (i, r.getrandbits(40)))
words.sort()
print(len(back), len(words))
