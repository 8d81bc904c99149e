# SPDX-License-Identifier: GPL-2.0
#
# The documentation as HTML, the way the kernel builds its own: Sphinx over
# Documentation/*.rst, plus the journey with each stop linked to its line
# of source.
#
#   make htmldocs        build/htmldocs/html/index.html
#   make htmldocs-check  the same with warnings as errors, then checks
#                        every page and every stop's link (part of check)

HTMLDOCS := $(BUILD)/htmldocs
SPHINXBUILD ?= sphinx-build

.PHONY: htmldocs htmldocs-check

htmldocs: journey
	@command -v $(SPHINXBUILD) >/dev/null || \
		{ echo "htmldocs: no $(SPHINXBUILD) (see 'make deps': python3-sphinx)"; exit 1; }
	@python3 scripts/htmldocs.py $(BUILD)/journey.txt Documentation $(HTMLDOCS)/rst
	@$(SPHINXBUILD) -q $(SPHINXOPTS) -b html -d $(HTMLDOCS)/doctrees \
		$(HTMLDOCS)/rst $(HTMLDOCS)/html
	@echo "htmldocs: $(HTMLDOCS)/html/index.html"

HOST_TESTS += htmldocs-check
htmldocs-check:
	@BUILD=$(BUILD) SPHINXBUILD=$(SPHINXBUILD) MAKE="$(MAKE)" \
		python3 scripts/htmldocs-check.py
