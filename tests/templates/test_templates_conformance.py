"""Conformance: every template of the corpus renders byte-identical under
Jinja2 (CPython) and under the compiled engine, on CPython and on the real
MicroPython unix port; the escaping corpus puts XSS payloads through every
way a value reaches the page."""
import json
import pathlib
import subprocess

import jinja2
import pytest

from plugdot_templates.bundle import find_templates, source_engine
from plugdot_templates.compiler import compile_template, module_name
from support import ROOT, micropython

CASES = pathlib.Path(__file__).resolve().parent / 'corpus'
CORPUS = CASES / 'templates'


def cases():
    """Every (template, context) of the corpus, the escaping corpus included."""
    listed = json.loads((CASES / 'cases.json').read_text())
    for payload in json.loads((CASES / 'xss.json').read_text()):
        listed.append({'template': 'escape.html', 'context': {'v': payload}})
    return listed


def jinja_render(case):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(CORPUS)), autoescape=True)
    return env.get_template(case['template']).render(case['context'])


def test_corpus_covers_every_template():
    used = {c['template'] for c in cases()} | {'parts/row.html', 'parts/header.html'}
    assert used == set(find_templates([str(CORPUS)]))
    assert len(cases()) > 25


@pytest.mark.parametrize('case', cases(), ids=lambda c: c['template'])
def test_compiled_engine_matches_jinja2_on_cpython(case):
    expected = jinja_render(case)
    assert source_engine([str(CORPUS)]).render(case['template'], case['context']) == expected


def test_xss_payloads_come_out_escaped():
    from markupsafe import escape
    for case in cases():
        if case['template'] != 'escape.html' or not case['context']['v'].strip('<>'):
            continue
        v = case['context']['v']
        first_line = jinja_render(case).split('\n')[0].split('|')
        assert first_line[0] == str(escape(v)) and first_line[2] == v  # escaped / |safe


def test_corpus_renders_byte_identical_under_micropython(tmp_path):
    compiled = tmp_path / 'compiled' / 'plugdot_templates_compiled'
    compiled.mkdir(parents=True)
    index = {}
    for name, path in find_templates([str(CORPUS)]).items():
        module = module_name(name)
        (compiled / (module + '.py')).write_text(
            compile_template(pathlib.Path(path).read_text(), name, path))
        index[name] = module
    (compiled / '__init__.py').write_text('TEMPLATES = %r\n' % index)
    all_cases = cases()
    (tmp_path / 'cases.json').write_text(json.dumps(all_cases))
    out = tmp_path / 'out.json'
    proc = subprocess.run([micropython(), '-X', 'heapsize=2m',
                           str(ROOT / 'tests' / 'templates' / 'mpy_render.py'), str(ROOT),
                           str(tmp_path / 'compiled'), str(tmp_path / 'cases.json'), str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = json.loads(out.read_text())
    mismatches = [(c['template'], c['context'], jinja_render(c), g)
                  for c, g in zip(all_cases, got, strict=True) if g != jinja_render(c)]
    assert not mismatches, mismatches[:3]
    assert len(got) == len(all_cases)
