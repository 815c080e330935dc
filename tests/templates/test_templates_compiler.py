"""The subset compiler: what it refuses (with file:line and the construct),
what it generates, and ``plugdot check-templates``."""
import subprocess
import sys

import pytest

from plugdot_templates import TemplateError
from plugdot_templates.compiler import compile_template, module_name
from support import ROOT

REFUSED = [
    ('{% macro m() %}x{% endmacro %}', 1, '{% macro %}'),
    ('a\n{% call m() %}x{% endcall %}', 2, '{% call %}'),
    ('{% filter upper %}x{% endfilter %}', 1, '{% filter %}'),
    ('\n\n{% with a = 1 %}{{ a }}{% endwith %}', 3, '{% with %}'),
    ('{% import "x.html" as x %}', 1, '{% import %}'),
    ('{% from "x.html" import y %}', 1, '{% from import %}'),
    ('{% set x %}block{% endset %}', 1, 'block assignment'),
    ('{{ x|wordcount }}', 1, 'the filter "|wordcount"'),
    ('{{ x is sameas y }}', 1, 'the test "is sameas"'),
    ('{{ items[1:2] }}', 1, 'a slice [a:b]'),
    ('{% for x in y if x %}{% endfor %}', 1, 'a loop filter'),
    ('{% for x in y recursive %}{% endfor %}', 1, 'recursive'),
    ('{% include name %}', 1, '{% include %} of a computed name'),
    ('{% include "a.html" ignore missing %}', 1, 'ignore missing'),
    ('{% extends layout %}', 1, '{% extends %} of a computed name'),
    ('{% if x %}{% extends "a.html" %}{% endif %}', 1, '{% extends %} other than once'),
    ('{% block b scoped %}{% endblock %}', 1, 'scoped'),
    ('{% block b %}{% endblock %}{% block b %}{% endblock %}', 1, 'block b'),
    ('{{ super() }}', 1, 'super() outside a block'),
    ('{{ f(*args) }}', 1, '*args or **kwargs'),
    ('{% extends "a.html" %}{% for x in y %}{% endfor %}', 1, 'outside a block'),
]


@pytest.mark.parametrize('source, line, construct', REFUSED)
def test_constructs_outside_the_subset_are_refused_with_file_line_and_construct(
        source, line, construct):
    with pytest.raises(TemplateError) as info:
        compile_template(source, 'page.html', 'templates/page.html')
    message = str(info.value)
    assert message.startswith('templates/page.html:%d: ' % line), message
    assert construct in message and 'docs/templates.md' in message


def test_syntax_errors_name_file_and_line():
    with pytest.raises(TemplateError, match=r'^t/p.html:2: template syntax error: '):
        compile_template('ok\n{{ x + }}', 'p.html', 't/p.html')


def test_generated_code_is_plain_generators():
    code = compile_template('<p>{{ x }}</p>{% for i in xs %}{{ i }}{% endfor %}', 'p.html')
    assert 'def root(ctx, env, blocks):' in code and 'yield html(' in code
    namespace = {}
    exec(compile(code, 'p.html.py', 'exec'), namespace)
    from plugdot_templates.runtime import new_context
    pieces = list(namespace['root'](new_context({'x': '<', 'xs': [1, 2]}), None, {}))
    assert pieces == ['<p>', '&lt;', '</p>', '1', '2']
    assert namespace['PARENT'] is None and namespace['BLOCKS'] == {}


def test_module_names_are_unique_identifiers():
    names = [module_name(n) for n in ('a/b.html', 'a_b.html', 'a-b.html', 'é.html')]
    assert len(set(names)) == 4 and all(n.isidentifier() for n in names)


def test_check_templates_command(tmp_path):
    (tmp_path / 'good.html').write_text('{{ x|upper }}')
    (tmp_path / 'bad.html').write_text('line 1\n{% macro m() %}{% endmacro %}')
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'check-templates', str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert 'ok      good.html' in done.stdout
    assert 'refused %s:2: {%% macro %%}' % (tmp_path / 'bad.html') in done.stdout
    done = subprocess.run([sys.executable, '-m', 'plugdot.cli', 'check-templates', str(tmp_path),
                           '--show', 'good.html'], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and 'yield html(f_upper(' in done.stdout


def test_plugdot_bundle_sources_compiles_the_apps_templates(tmp_path):
    from plugdot import App
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'page.html').write_text('{% include "sub/part.html" %}')
    (tmp_path / 'sub' / 'part.html').write_text('{{ x }}')
    app = App(config={'templates_dir': str(tmp_path)})
    sources = {}
    for result in app.plugins.hook.plugdot_bundle_sources(app=app):
        sources.update(result or {})
    index = 'plugdot_templates_compiled.__init__'
    assert set(sources) == {index, 'plugdot_templates_compiled.' + module_name('page.html'),
                            'plugdot_templates_compiled.' + module_name('sub/part.html')}
    namespace = {}
    exec(sources[index], namespace)
    assert namespace['TEMPLATES'] == {'page.html': module_name('page.html'),
                                      'sub/part.html': module_name('sub/part.html')}
    assert App(config={'templates_dir': str(tmp_path / 'none')}).plugins.hook \
        .plugdot_bundle_sources(app=app) is not None


def test_a_loop_using_only_index_and_cycle_streams_its_items():
    from plugdot_templates.runtime import new_context
    consumed = []

    def rows():
        for n in range(3):
            consumed.append(n)
            yield n

    def run(source):
        namespace = {}
        exec(compile(compile_template(source, 'p.html'), 'p.py', 'exec'), namespace)
        return namespace['root'](new_context({'rows': rows()}), None, {})
    pieces = run("{% for r in rows %}{{ loop.index }}{{ loop.cycle('a', 'b') }}{% endfor %}")
    assert next(pieces) == '1' and consumed == [0]  # the first row is out before the next is read
    assert ''.join(pieces) == 'a2b3a'
    consumed.clear()
    pieces = run('{% for r in rows %}{{ loop.index }}/{{ loop.length }}{% endfor %}')
    assert next(pieces) == '1' and consumed == [0, 1, 2]  # length needs every item first
