"""Seeded generator of the SYNTHETIC demo dataset (data/demo): `python -m isnote_demo` (make demo-data).

Not part of the runtime: it imports `isnote` (parameters of the demo run, errors), never the reverse.
Layout: `constants` (every constant), `banks` (loader of specs/texts.yaml and specs/geography.yaml),
`state` (the specs read and the state the stages fill in), `stages` (one function per step),
`write` (formats and files), `checks` (`check_*` functions on the files as written), `generate`
(build, check, then write), `alloc` (integer allocations), `textcheck` (the checks' own text search),
`readme` (LISEZMOI.md).
"""
