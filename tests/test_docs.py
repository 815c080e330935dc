"""Meta-tests: every hook is documented and tested; public objects have docstrings."""
import inspect
import pathlib
import re

import plugdot
from plugdot import hookspecs

ROOT = pathlib.Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith('plugdot_'))


def test_there_are_hooks():
    assert len(HOOKS) >= 13


def test_every_hook_has_a_docstring_and_a_docs_section():
    text = (ROOT / 'docs' / 'hooks.md').read_text()
    for name in HOOKS:
        assert getattr(hookspecs, name).__doc__, name
        assert '## %s' % name in text, 'docs/hooks.md has no section for %s' % name


def test_every_hook_is_exercised_by_a_test():
    sources = ''.join(p.read_text() for p in (ROOT / 'tests').rglob('test_*.py')
                      if p.name != 'test_docs.py')
    missing = [name for name in HOOKS if not re.search(r'\b%s\b' % name, sources)]
    assert not missing, 'hooks without a test: %s' % missing


def test_public_objects_have_docstrings():
    missing = []
    for name in plugdot.__all__:
        obj = getattr(plugdot, name)
        if name.startswith('_') or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not obj.__doc__:
            missing.append(name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith('_') or not (inspect.isfunction(member) or isinstance(member, property)):
                    continue
                if not member.__doc__:
                    missing.append('%s.%s' % (name, attr))
    assert not missing, missing


def test_readme_quick_start_commands_match_ci():
    readme = (ROOT / 'README.md').read_text()
    assert 'pip install hatch && hatch run serve' in readme
    command = "python3 -m pip install 'hatch>=1.18' && python3 tests/run_all.py"
    assert command in readme
    ci_lines = (ROOT / '.ci' / 'run').read_text().splitlines()
    assert command in ci_lines  # exactly the README's command, alone on its line


def test_install_lines_name_the_clone_while_the_packages_are_not_on_pypi():
    # The README's *Installing*: `pip install ./packages/<name>`; a line that
    # names plugdot's own packages by distribution name fails for a reader.
    wrong = []
    for path in sorted(ROOT.glob('docs/*.md')) + sorted(ROOT.glob('packages/*/README.md')) + \
            [ROOT / 'README.md']:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if '-e ' not in line and re.search(
                    r"pip install [^`\n]*(?<![\w./-])'?plugdot(-[\w-]+)?(\[|'|\s|`|$)", line):
                wrong.append('%s:%d: %s' % (path.relative_to(ROOT), number, line.strip()))
    assert not wrong, 'install from a clone (./packages/...):\n' + '\n'.join(wrong)
