#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Writes the seed inputs for fuzz_virtqueue into a directory (default:
# tests/launcher/fuzz/corpus/).  Each seed is a small, readable scenario
# in the input format fuzz_virtqueue.c parses: a guest setting up a queue
# and the launcher's devices serving it.  The committed corpus is this
# script's output: rerun it after changing the format.
import importlib.util
import os
import struct

# desc() and write_corpus() are the vring_core fuzzer's.
_spec = importlib.util.spec_from_file_location(
    'vringfd_corpus', os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   '../../vringfd/fuzz/make_corpus.py'))
_vringfd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_vringfd)
desc, write_corpus = _vringfd.desc, _vringfd.write_corpus

EVENT_IDX, INDIRECT, FOLD, EDGE = 1, 2, 16, 32
APART, AT_END, ANYWHERE = 0, 4, 8
RAW_SIZE = 0x80
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
RAM = 0x4000
TABLE_GPA = 0x2000


def queue(log_size, options, descs, heads, used_idx=0, avail_flags=0,
          used_event=0, table=b'', raw_size=None, gpas=None, ops=b''):
    """A queue of 2^log_size entries (or raw_size, as QueueNum said)."""
    size = raw_size if raw_size is not None else 1 << log_size
    head = bytes([RAW_SIZE if raw_size is not None else log_size, options])
    if raw_size is not None:
        head += struct.pack('<H', raw_size)
    if gpas is not None:
        head += struct.pack('<III', *gpas)
    ring = [0] * size
    for i, h in enumerate(heads):
        ring[(used_idx + i) % size] = h
    avail = struct.pack('<HH', avail_flags, (used_idx + len(heads)) & 0xffff)
    avail += struct.pack('<%dH' % size, *ring) + struct.pack('<H', used_event)
    assert len(table) % 16 == 0
    return (head + b''.join(descs).ljust(16 * size, b'\0') + avail +
            struct.pack('<HH', used_idx, len(table) // 16) + table + ops)


# The devices' calls and the guest's moves, as fuzz_step() reads them.
def pop():
    return b'\0'


def unpop():
    return b'\2'


def push(pick, written):
    return b'\3' + struct.pack('<BI', pick, written)


def interrupt():
    return b'\4'


def device_write(skip, length, byte=0x5a):
    return b'\5' + struct.pack('<HHB', skip, length, byte)


def device_read(skip, length):
    return b'\6' + struct.pack('<HHB', skip, length, 0)


def publish(head):
    return b'\7' + struct.pack('<H', head)


def scribble(offset, value):
    return b'\x08' + struct.pack('<HH', offset, value)


def restart():
    return b'\x09'


# Strict mode's register window (fuzz_virtqueue.c's op_register): a
# 32-bit write or read of a register at offset.
def reg_write(offset, value):
    return b'\x0a' + struct.pack('<HBI', offset, 2, value)


def reg_read(offset):
    return b'\x0b' + struct.pack('<HBI', offset, 2, 0)


# Stop the queue and give it 2^log_size entries (started by restart()).
def resize(log_size):
    return b'\x0c' + bytes([log_size])


MMIO_STATUS, MMIO_QUEUE_SEL, MMIO_QUEUE_READY = 0x70, 0x30, 0x44


def serve_one(written=16):
    return (pop() + device_read(0, 64) + device_write(0, written) +
            push(0, written) + interrupt())


def chained_table(entries, flags=F_WRITE):
    return b''.join(desc(0x3000 + 16 * i, 16,
                         flags | (F_NEXT if i + 1 < entries else 0), i + 1)
                    for i in range(entries))


SEEDS = {
    # A block read as Linux sends it: header, data, status.
    'blk-read': queue(
        4, EVENT_IDX | INDIRECT | APART,
        [desc(0x3000, 16, F_NEXT, 1), desc(0x3100, 512, F_WRITE | F_NEXT, 2),
         desc(0x3400, 1, F_WRITE)], [0],
        ops=serve_one(513) + pop() + publish(0) + serve_one(513)),
    # The longest chain we take: a 256-entry table on a queue of 16.
    'indirect-256': queue(
        4, INDIRECT | APART, [desc(TABLE_GPA, 256 * 16, F_INDIRECT)], [0],
        table=chained_table(256), ops=serve_one(4096)),
    # One entry more than that: refused, the queue needs a reset.
    'indirect-257': queue(
        4, INDIRECT | APART, [desc(TABLE_GPA, 257 * 16, F_INDIRECT)], [0],
        table=chained_table(1) + bytes(256 * 16),
        ops=serve_one() + restart() + serve_one()),
    'event-idx-wrap': queue(
        1, EVENT_IDX | APART, [desc(0x3000, 8, F_WRITE)], [0],
        used_idx=0xfffe, ops=(serve_one(8) + publish(0)) * 4),
    'no-interrupt-flag': queue(
        3, APART, [desc(0x3000, 8, F_WRITE)], [0], avail_flags=1,
        ops=serve_one(8) + interrupt() + publish(0) + pop() + unpop() +
        serve_one(8)),
    # A full queue whose avail ring ends on RAM's last byte.
    'ring-at-end': queue(
        8, EVENT_IDX | INDIRECT | AT_END | FOLD,
        [desc(0x400 * i + 3, 0x100, F_WRITE) for i in range(9)],
        list(range(0, 9, 3)), ops=serve_one() * 4),
    # One buffer ending on RAM's last byte, the next one byte past it.
    'ram-edge': queue(
        1, APART | FOLD | EDGE,
        [desc(RAM - 0x10, 2, F_WRITE), desc(RAM - 0x20, 3, F_WRITE)], [0, 1],
        ops=serve_one() * 2),
    'misaligned-ring': queue(
        2, APART | ANYWHERE, [desc(0x3000, 8, F_WRITE)], [0],
        gpas=(0x1008, 0x1400, 0x1800), ops=serve_one() + restart()),
    'ring-past-ram': queue(
        2, ANYWHERE, [desc(0x3000, 8, F_WRITE)], [0],
        gpas=(0x0, 0x1000, RAM - 32), ops=serve_one()),
    'queue-size-12': queue(
        0, APART, [desc(0x3000, 8, F_WRITE)], [0], raw_size=12,
        ops=serve_one()),
    'loop': queue(
        2, APART, [desc(0x3000, 8, F_WRITE | F_NEXT, 1),
                   desc(0x3000, 8, F_WRITE | F_NEXT, 0)], [0],
        ops=serve_one() + restart() + publish(0) + serve_one()),
    'buffer-past-ram': queue(
        2, APART, [desc(RAM - 8, 16, F_WRITE)], [0], ops=serve_one()),
    # Strict mode's bookkeeping against the device's: two chains taken,
    # the device reset while it holds them, the queue started again and
    # a stale head given back; then a 256-entry queue shrunk to 4 with
    # chains in flight, and QueueSel far past the device's one queue.
    'strict-reset-in-flight': queue(
        4, INDIRECT | APART, [desc(0x3000, 8, F_WRITE),
                              desc(TABLE_GPA, 4 * 16, F_INDIRECT)], [0, 1],
        table=chained_table(4),
        ops=pop() + pop() + reg_write(MMIO_STATUS, 0) +
        reg_read(MMIO_STATUS) + restart() + push(0, 8) + publish(1) +
        serve_one() + publish(1) + publish(1) + pop()),
    'strict-resize-in-flight': queue(
        8, APART, [desc(0x3000, 8, F_WRITE | F_NEXT, 1),
                   desc(0x3100, 8, F_WRITE)], [0, 0, 0],
        ops=pop() + reg_write(MMIO_QUEUE_SEL, 0) +
        reg_write(MMIO_QUEUE_READY, 0) + resize(2) + restart() +
        push(0, 8) + publish(3) + serve_one() +
        reg_write(MMIO_QUEUE_SEL, 0xffffffff) +
        reg_write(MMIO_QUEUE_READY, 1) + reg_write(0x38, 4096)),
    'scribbles': queue(
        6, EVENT_IDX | INDIRECT | APART | FOLD,
        [desc(0x1234567 * i, 0x777 * i, i % 8, (i * 7) % 64)
         for i in range(64)], list(range(0, 64, 5)),
        table=chained_table(12, 0),
        ops=(pop() + device_read(3, 200) + device_write(7, 300) +
             push(1, 9) + scribble(0x40, 0x0103) + publish(9) +
             interrupt() + scribble(0x1002, 0x20)) * 4 + restart() +
        serve_one() * 2),
}


if __name__ == '__main__':
    write_corpus(SEEDS, 'corpus')
