"""Render the conformance cases with the board's engine (run by the tests
under MicroPython, on templates compiled beforehand on CPython).

Usage: micropython mpy_render.py REPO_ROOT COMPILED_DIR CASES_JSON OUT_JSON
"""
import json
import sys

root, compiled, cases_path, out_path = sys.argv[1:5]
sys.path.insert(0, compiled)
sys.path.insert(0, root + '/packages/core/src')
sys.path.insert(0, root + '/packages/templates/src')

from plugdot_templates.engine import board_engine  # noqa: E402

with open(cases_path) as f:
    cases = json.load(f)
engine = board_engine()
results = []
for case in cases:
    try:
        results.append(engine.render(case['template'], case['context']))
    except Exception as exc:
        results.append('ERROR %s: %s' % (type(exc).__name__, exc))
with open(out_path, 'w') as f:
    f.write(json.dumps(results))
print('rendered %d' % len(results))
