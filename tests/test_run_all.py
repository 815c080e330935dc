"""The README's test command: every interpreter present is tested, missing
ones are named, one failure does not hide the others' results."""
import run_all


def test_counts_reads_pytest_summaries():
    assert run_all.counts('3 failed, 40 passed, 2 skipped') == (40, 3)
    assert run_all.counts('12 passed, 4 warnings') == (12, 0)
    assert run_all.counts('1 passed, 2 errors') == (1, 2)


def test_a_failure_on_one_interpreter_does_not_hide_the_others(monkeypatch, capsys):
    monkeypatch.delenv('CI', raising=False)
    monkeypatch.setattr(run_all, 'available', lambda v: v in ('3.12', '3.11'))
    outcomes = {'3.12': (1, '2 failed, 10 passed'), '3.11': (0, '12 passed')}
    ran = []

    def fake_run(version, args):
        ran.append(version)
        return outcomes[version]
    monkeypatch.setattr(run_all, 'run', fake_run)
    assert run_all.main([]) == 1
    out = capsys.readouterr().out
    assert ran == ['3.12', '3.11']
    assert 'CPython 3.13, 3.10 not found here' in out
    assert out.rstrip().splitlines()[-1] == 'total: 22 passed, 2 failed'


def test_missing_interpreters_fail_only_when_none_or_under_ci(monkeypatch, capsys):
    monkeypatch.setattr(run_all, 'run', lambda version, args: (0, '5 passed'))
    monkeypatch.setattr(run_all, 'available', lambda v: v == '3.12')
    monkeypatch.delenv('CI', raising=False)
    assert run_all.main([]) == 0
    monkeypatch.setenv('CI', 'true')
    assert run_all.main([]) == 1
    monkeypatch.setattr(run_all, 'available', lambda v: False)
    monkeypatch.delenv('CI')
    assert run_all.main([]) == 1
    assert 'none of CPython' in capsys.readouterr().out
