#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""thp_off.py CMD ARGS...: run CMD with transparent hugepages disabled.

prctl(PR_SET_THP_DISABLE, 1) for this process, then execvp(CMD): the flag
is inherited by every child (fork) and kept across execve, so CMD and its
whole process tree fault in 4 KiB pages (no THP on any of their mappings,
whatever /sys/kernel/mm/transparent_hugepage/enabled says).
Exit status: CMD's; 2 bad usage; 1 prctl failed; 127 CMD not found.
"""

import ctypes
import os
import sys

PR_SET_THP_DISABLE = 41
PR_GET_THP_DISABLE = 42


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ('-h', '--help'):
        sys.stderr.write('usage: thp_off.py CMD [ARGS...]\n')
        sys.exit(0 if len(sys.argv) > 1 else 2)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0:
        e = ctypes.get_errno()
        sys.stderr.write('thp_off.py: prctl(PR_SET_THP_DISABLE): %s\n'
                         % os.strerror(e))
        sys.exit(1)
    if libc.prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 1:
        sys.stderr.write('thp_off.py: PR_GET_THP_DISABLE does not say 1\n')
        sys.exit(1)
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    except OSError as e:
        sys.stderr.write('thp_off.py: %s: %s\n' % (sys.argv[1], e.strerror))
        sys.exit(127)


if __name__ == '__main__':
    main()
