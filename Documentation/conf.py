# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for `make htmldocs`.  scripts/htmldocs.py copies this
# file, the .rst files beside it and the generated journey.rst into
# build/htmldocs/rst/, and Sphinx builds that into build/htmldocs/html/.

project = 'lguest'
copyright = 'the lguest authors; GPL-2.0'
master_doc = 'index'
source_suffix = '.rst'
exclude_patterns = ['_extra']
# The source pages the journey links to, copied as they are.
html_extra_path = ['_extra']
# A theme that ships inside Sphinx, so python3-sphinx is all it takes.
html_theme = 'classic'
html_show_sourcelink = False
