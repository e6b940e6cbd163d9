#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gen_c.py N > big.c: a large C file for the gcc trace (N functions of
loops, switches and arithmetic over a few arrays; deterministic)."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
r = random.Random(1)
print('#include <stdint.h>\n#include <string.h>\nstatic uint64_t a[256], b[256];')
for i in range(n):
    print('uint64_t f%d(uint64_t x, int k) {' % i)
    print('  uint64_t s = %d; int j;' % r.randrange(1 << 30))
    for _ in range(r.randint(3, 8)):
        op = r.choice(['+', '^', '*', '-', '|'])
        print('  for (j = 0; j < k + %d; j++) { s = (s %s a[(j * %d + x) & 255]) '
              '%s b[j & 255]; x = (x << %d) | (x >> %d); }'
              % (r.randint(1, 50), op, r.randint(1, 99), r.choice(['+', '^']),
                 r.randint(1, 31), r.randint(1, 31)))
        print('  switch ((s >> %d) & 7) {' % r.randint(0, 40))
        for c in range(8):
            print('  case %d: s = s * %d + (x ^ %d); break;'
                  % (c, r.randint(1, 1000), r.randrange(1 << 20)))
        print('  }')
    if i:
        print('  if (s & 1) s += f%d(x ^ s, k - 1);' % r.randrange(i))
    print('  return s;\n}')
