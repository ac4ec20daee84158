"""Documents people read: the site audit, the monthly summary, the intervention report.

One pipeline for all of them (``render.py``): a frozen view model built from the database, the
git baseline and the structured device state, Jinja2 templates with gettext wording (French by
default), and WeasyPrint to an A4 PDF. Audit findings come from rules kept as data (``rules/``).
"""
