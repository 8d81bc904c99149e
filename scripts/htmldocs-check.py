#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# htmldocs-check.py: the test behind `make htmldocs-check` (part of make
# check).  It builds the HTML documentation with Sphinx's warnings as
# errors, then checks what a reader would click: a page for every document,
# every stop of the journey on the journey page, and every link from a stop
# (to its line of source, to another stop) landing on something that
# exists.  TAP on stdout.
import glob
import html.parser
import os
import re
import subprocess
import sys

BUILD = os.environ.get('BUILD', 'build')
MAKE = os.environ.get('MAKE', 'make')
OUT = os.path.join(BUILD, 'htmldocs', 'html')
tests = 0
failed = 0


def tap(ok, desc, why=''):
    global tests, failed
    tests += 1
    if not ok:
        failed += 1
    print(f'{"ok" if ok else "not ok"} {tests} - {desc}')
    for line in why.splitlines()[:20] if not ok else []:
        print(f'# {line}')


class Page(html.parser.HTMLParser):
    """The ids and the hrefs of one HTML page."""

    def __init__(self, path):
        super().__init__()
        self.ids, self.hrefs, self.stops = set(), [], []
        with open(path, encoding='utf-8') as f:
            self.feed(f.read())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a:
            self.ids.add(a['id'])
        if tag == 'a' and 'href' in a:
            self.hrefs.append(a['href'])
        if tag == 'div' and 'journey-stop' in (a.get('class') or '').split():
            self.stops.append(a.get('id'))


def main():
    build = subprocess.run(
        [MAKE, '--no-print-directory', 'htmldocs',
         'SPHINXOPTS=-W --keep-going'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tap(build.returncode == 0,
        'htmldocs: Sphinx builds Documentation and the journey with no warning',
        build.stdout)
    if build.returncode:
        print(f'1..{tests}')
        return 1

    docs = sorted(os.path.basename(p)[:-4]
                  for p in glob.glob('Documentation/*.rst'))
    missing = [d for d in docs + ['journey']
               if not os.path.exists(os.path.join(OUT, d + '.html'))]
    tap(not missing, f'htmldocs: a page for each of {len(docs)} documents '
        'and the journey', 'missing: ' + ' '.join(missing))

    with open(os.path.join(BUILD, 'journey.txt'), encoding='utf-8') as f:
        keys = re.findall(r'^\[([A-Z]:\d{3})\] ', f.read(), re.M)
    page = Page(os.path.join(OUT, 'journey.html'))
    shown = [s.replace('-', ':') for s in page.stops]
    tap(shown == keys, f'htmldocs: the journey page shows all {len(keys)} '
        'stops, in the tour\'s order',
        f'journey.txt has {len(keys)}, the page {len(shown)}')

    bad, pages, sources = [], {}, 0
    for href in page.hrefs:
        if re.fullmatch(r'#[A-Z]-\d{3}', href):
            if href[1:] not in page.ids:
                bad.append(href)
            continue
        m = re.fullmatch(r'(source/.+\.html)#(L\d+)', href)
        if not m:
            continue
        sources += 1
        path = os.path.join(OUT, m[1])
        if path not in pages:
            pages[path] = Page(path) if os.path.exists(path) else None
        if not pages[path] or m[2] not in pages[path].ids:
            bad.append(href)
    tap(not bad and sources >= len(keys),
        f'htmldocs: {sources} links to source lines and every link between '
        'stops land on their target', 'broken: ' + ' '.join(bad[:20]))
    print(f'1..{tests}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
