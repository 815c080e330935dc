"""Every code block of the docs runs (docs/*.md and README.md, found by
glob, so new pages are covered without listing them).

* ``python`` blocks run in order, one namespace per page (a block may use
  what an earlier block of the page defined), in a scratch directory.
* ``toml`` blocks must parse (Python 3.11+); ``sh`` lines that call ``plugdot`` must name
  a command the CLI has.
* Blocks without a language are diagrams and output: not run.

A block that cannot run here (it needs a board, serves forever, or shows
an excerpt) is skipped by putting ``<!-- docs-test: skip -->`` on the line
before its opening fence — sparingly, and say why next to it.
"""
import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SKIP = '<!-- docs-test: skip'
FENCE = re.compile(r'^```(\w*)\s*$')


def pages():
    return sorted(ROOT.glob('docs/*.md')) + [ROOT / 'README.md']


def blocks(path):
    """``(line number, language, code, skipped)`` for each fenced block."""
    lines = path.read_text(encoding='utf-8').splitlines()
    found, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        start, lang = i, m.group(1)
        end = i + 1
        while end < len(lines) and lines[end].strip() != '```':
            end += 1
        before = [line for line in lines[:start] if line.strip()][-1:] or ['']
        found.append((start + 1, lang, '\n'.join(lines[start + 1:end]),
                      before[0].strip().startswith(SKIP)))
        i = end + 1
    return found


def commands():
    from plugdot.cli import build_parser
    parser = build_parser()
    sub = [a for a in parser._actions if a.dest == 'command'][0]
    return set(sub.choices)


@pytest.mark.parametrize('page', pages(), ids=lambda p: p.name)
def test_code_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def serves_forever(*args, **kwargs):
        raise AssertionError('the block starts a server that never returns: skip it')
    import plugdot
    import plugdot_mpy_server.server
    monkeypatch.setattr(plugdot.App, 'run', serves_forever)
    monkeypatch.setattr(plugdot_mpy_server.server, 'serve', serves_forever)
    monkeypatch.setattr(plugdot_mpy_server.server, 'start', serves_forever)
    namespace = {'__name__': 'docs_' + page.stem.replace('-', '_')}
    known = None
    for line, lang, code, skipped in blocks(page):
        where = '%s:%d' % (page.relative_to(ROOT), line)
        if skipped:
            continue
        if lang == 'python':
            try:
                exec(compile(code, where, 'exec'), namespace)
            except Exception as exc:
                pytest.fail('%s: the python block failed: %s: %s (skip it with %s -->, '
                            'if it cannot run)' % (where, type(exc).__name__, exc, SKIP))
        elif lang == 'toml':
            try:
                import tomllib
            except ImportError:  # Python 3.10: the other Pythons parse it
                continue
            tomllib.loads(code)
        elif lang == 'sh':
            known = known or commands()
            for text in code.splitlines():
                text = text.split('#')[0].strip()
                for part in text.split('&&'):
                    words = part.split()
                    if words[:1] == ['plugdot'] and len(words) > 1:
                        assert words[1] in known, '%s: no `plugdot %s` command' % (where, words[1])


def test_the_skip_marker_is_used_sparingly():
    skipped = [(p.name, line) for p in pages() for line, _, _, s in blocks(p) if s]
    total = sum(len(blocks(p)) for p in pages())
    assert len(skipped) * 5 <= total, skipped


def test_blocks_are_found():
    langs = [lang for p in pages() for _, lang, _, _ in blocks(p)]
    assert langs.count('python') >= 20 and 'toml' in langs and 'sh' in langs
    assert os.path.exists(ROOT / 'docs' / 'writing-plugins.md')
