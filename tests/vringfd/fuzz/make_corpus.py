#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Writes the seed inputs for fuzz_vring_core into a directory (default:
# tests/vringfd/fuzz/corpus/).  Each seed is a small, readable scenario in the
# input format fuzz_vring_core.c parses; libFuzzer mutates from there.
# The committed corpus is this script's output: rerun it after changing
# the format.
import os
import struct
import sys

INDIRECT, EVENT_IDX, FOLD, EDGE, LONG = 1, 2, 16, 32, 64
WINDOW_EXACT, WINDOW_HALF, WINDOW_ALL, WINDOW_TOP = 0, 4, 8, 12
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def desc(addr, length, flags=0, next_=0):
    return struct.pack('<QIHH', addr, length, flags, next_)


def ring_input(log_num, options, descs, heads, used_idx=0, avail_idx=None,
               used_event=0, avail_flags=0, table=b'', ops=b''):
    num = 1 << log_num
    table_bytes = b''.join(descs).ljust(16 * num, b'\0')
    if avail_idx is None:
        avail_idx = (used_idx + len(heads)) & 0xffff
    ring = [0] * num
    for i, head in enumerate(heads):
        ring[(used_idx + i) % num] = head
    avail = struct.pack('<HH', avail_flags, avail_idx)
    avail += struct.pack('<%dH' % num, *ring) + struct.pack('<H', used_event)
    assert len(table) % 16 == 0
    return (bytes([log_num, options]) + table_bytes + avail +
            struct.pack('<H', used_idx) + bytes([len(table) // 16]) + table +
            ops)


# The device's calls, encoded as fuzz_step() reads them.
def next_avail():
    return b'\0'


def copy_from(offset, length):
    return b'\2' + struct.pack('<HH', offset, length)


def copy_to(offset, length, seed=0x5a):
    return b'\3' + struct.pack('<HHB', offset, length, seed)


def push_used(pick, length):
    return b'\4' + struct.pack('<BI', pick, length)


def need_signal():
    return b'\5'


def disable_kicks():
    return b'\6'


def enable_kicks():
    return b'\7'


def discard(n):
    return b'\x08' + bytes([n])


def publish(head):
    return b'\x09' + struct.pack('<H', head)


def scribble(where, offset, value):
    return b'\x0a' + struct.pack('<BHH', where, offset, value)


def serve_one():
    return (disable_kicks() + next_avail() + copy_from(0, 1000) +
            copy_to(0, 1000) + push_used(0, 100) + need_signal() +
            enable_kicks())


SEEDS = {
    'chain-read-write': ring_input(
        2, WINDOW_EXACT,
        [desc(0x100, 32, F_NEXT, 1), desc(0x200, 64, F_WRITE | F_NEXT, 2),
         desc(0x400, 16, F_WRITE)],
        [0], ops=serve_one() + publish(0) + serve_one()),
    'indirect-event-idx': ring_input(
        3, INDIRECT | EVENT_IDX | WINDOW_EXACT,
        [desc(0x0, 48, F_INDIRECT)], [0], used_event=1,
        table=desc(0x100, 10, F_NEXT, 1) + desc(0x200, 20, F_WRITE | F_NEXT, 2)
        + desc(0x300, 30, F_WRITE),
        ops=serve_one() + copy_to(5, 40) + publish(0) + serve_one()),
    'wrap-event-idx': ring_input(
        1, EVENT_IDX | WINDOW_EXACT, [desc(0x10, 8, F_WRITE)], [0],
        used_idx=0xfffe,
        ops=(serve_one() + scribble(1, 4 + 2 * 2, 0xffff) + publish(0)) * 6),
    'discard-retake': ring_input(
        3, WINDOW_HALF,
        [desc(0x10 * i, 8, F_WRITE) for i in range(4)], [0, 1, 2, 3],
        ops=next_avail() * 3 + discard(2) + next_avail() * 3 +
        push_used(0, 8) * 4 + need_signal()),
    'loop': ring_input(
        2, WINDOW_EXACT, [desc(0x100, 8, F_NEXT, 1), desc(0x200, 8, F_NEXT, 0)],
        [0], ops=next_avail() + push_used(0, 0) + enable_kicks()),
    'top-of-address-space': ring_input(
        2, WINDOW_TOP, [desc(0xff0, 0x20), desc(0x2000, 16)], [0, 1],
        ops=next_avail() + copy_from(0, 64) + next_avail()),
    'unmapped-buffer': ring_input(
        2, WINDOW_ALL, [desc(0x100000, 16, F_WRITE)], [0],
        ops=next_avail() + copy_to(0, 16)),
    'indirect-full': ring_input(
        1, INDIRECT | WINDOW_EXACT, [desc(0x0, 32, F_INDIRECT)], [0],
        table=desc(0x100, 10, F_NEXT, 1) + desc(0x200, 20, F_WRITE),
        ops=serve_one()),
    # A ring of 2 whose chains may be 8 long through a table (LONG).
    'indirect-past-num': ring_input(
        1, INDIRECT | LONG | WINDOW_EXACT, [desc(0x0, 96, F_INDIRECT)], [0],
        table=b''.join(desc(0x100 + 0x40 * i, 8, F_NEXT, i + 1)
                       for i in range(5)) + desc(0x300, 8, F_WRITE),
        ops=serve_one()),
    'window-edge': ring_input(
        2, FOLD | EDGE | WINDOW_EXACT,
        [desc(0xff0, 2, F_NEXT, 1), desc(0xfe0, 2, F_WRITE)], [0],
        ops=serve_one()),
    'four-gib': ring_input(
        2, WINDOW_ALL,
        [desc(0, 0xffffffff, F_NEXT, 1), desc(0, 1, F_WRITE)], [0],
        ops=next_avail()),
    'folded-scribbles': ring_input(
        6, INDIRECT | EVENT_IDX | WINDOW_HALF | FOLD,
        [desc(0x1234567 * i, 0x777 * i, i % 8, (i * 7) % 64)
         for i in range(64)], list(range(0, 64, 5)),
        ops=(next_avail() + copy_from(3, 200) + copy_to(7, 300) +
             push_used(1, 9) + scribble(0, 40, 0x0103) +
             scribble(3, 16, 0x44) + publish(9)) * 4),
}


def write_corpus(seeds, name):
    """Writes seeds into argv[1], or the folder name beside the caller."""
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(sys.argv[0])), name)
    os.makedirs(out, exist_ok=True)
    for seed, data in sorted(seeds.items()):
        with open(os.path.join(out, seed), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    write_corpus(SEEDS, 'corpus')
