#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""plot.py OUTDIR RESULT...: the tables of a `make bench` run as pictures.

A bench suite's result file holds its tables as "# " lines, the way
bench/gen-doc.sh copies them onto the benchmark page: a title line, a
line of column names, then rows of a label and one cell per column.  A
cell is a median with its spread ("14.45 +-45%", the spread being the
highest less the lowest over the median) or a plain number; columns
after the last that every row fills (the ratios: "vring/copy") are left
out, since they are computed from the others.

A result with no such table gets no picture (and a line on stderr).
Each table becomes OUTDIR/SUITE-N.png, N counting from 1 in the order the
tables come: a table of medians as one small bar chart per row (its units
differ from row to row), a whisker over each bar spanning the spread
around the median; a table of counters (all per MiB) as one chart of
grouped bars.  The names of the files written are printed, one a line.
"""
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

CELL = re.compile(r"(-?\d+(?:\.\d+)?)(?: ±(\d+)%)?$")
SPDX = "SPDX-License-Identifier: GPL-2.0"


def split_row(line, ncols):
    """A row's label and its first ncols cells, or None if it is no row."""
    parts = re.split(r"\s{2,}", line.strip())
    if len(parts) < ncols + 1:
        return None
    label, cells = parts[0], parts[1:1 + ncols]
    values = []
    for cell in cells:
        m = CELL.match(cell)
        if not m:
            return None
        values.append((float(m.group(1)),
                       float(m.group(2)) / 100 if m.group(2) else None))
    return label, values


def tables(path):
    """The tables of one result file: (title, columns, rows)."""
    lines = [ln[2:].rstrip() for ln in open(path, errors="replace")
             if ln.startswith("# ")]
    found = []
    i = 0
    while i + 1 < len(lines):
        title, head = lines[i], lines[i + 1]
        columns = head.split()
        # A heading: a title with no cells, then indented column names.
        if (not title.startswith(" ") and head.startswith(" ") and columns
                and not any(CELL.match(c) for c in columns)):
            ncols = len([c for c in columns if "/" not in c])
            rows = []
            j = i + 2
            while j < len(lines):
                row = split_row(lines[j], ncols)
                if not row:
                    break
                rows.append(row)
                j += 1
            if rows:
                found.append((title, columns[:ncols], rows))
                i = j
                continue
        i += 1
    return found


def plot_medians(title, columns, rows, out):
    n = len(rows)
    ncols = 4
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.6 * nrows),
                             squeeze=False)
    for k, (label, values) in enumerate(rows):
        ax = axes[k // ncols][k % ncols]
        meds = [v for v, _ in values]
        errs = [v * s / 2 if s is not None else 0 for v, s in values]
        ax.bar(range(len(columns)), meds, yerr=errs, capsize=3,
               color="#4c72b0", ecolor="#444444")
        ax.set_title(label, fontsize=9)
        ax.set_xticks(range(len(columns)))
        ax.set_xticklabels(columns, rotation=35, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    fig.suptitle(title + "\n(bars: medians; whiskers: the spread, "
                 "highest less lowest, centred on the median)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(out, dpi=80, metadata={"Description": SPDX})
    plt.close(fig)


def plot_counters(title, columns, rows, out):
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.5))
    width = 0.8 / len(columns)
    for c, name in enumerate(columns):
        ax.barh([r + c * width for r in range(len(rows))],
                [values[c][0] for _, values in rows], height=width,
                label=name)
    ax.set_yticks([r + 0.4 - width / 2 for r in range(len(rows))])
    ax.set_yticklabels([label for label, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=80, metadata={"Description": SPDX})
    plt.close(fig)


def main(argv):
    if len(argv) < 3:
        print("usage: plot.py OUTDIR RESULT...", file=sys.stderr)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    for path in argv[2:]:
        suite = os.path.basename(path).removesuffix(".result")
        found = tables(path)
        if not found:
            print(f"plot.py: {path}: no table to plot", file=sys.stderr)
            continue
        for n, (title, columns, rows) in enumerate(found, 1):
            out = os.path.join(outdir, f"{suite}-{n}.png")
            medians = any(s is not None for _, vs in rows for _, s in vs)
            (plot_medians if medians else plot_counters)(title, columns,
                                                         rows, out)
            print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
