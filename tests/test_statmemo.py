"""statmemo: values computed from files are kept only while the files' stat is unchanged."""

import os

from isnote import run_plan, statmemo


def test_racy_files_have_no_signature_and_are_never_kept(tmp_path, monkeypatch):
    f = tmp_path / "a.txt"
    f.write_text("un")
    # just written: within the last second
    assert statmemo.signature(f) is None
    calls = []
    assert statmemo.memo("t", statmemo.signature(f), lambda: calls.append(1) or len(calls)) == 1
    assert statmemo.memo("t", statmemo.signature(f), lambda: calls.append(1) or len(calls)) == 2


def test_kept_while_unchanged_recomputed_after_a_change(tmp_path, monkeypatch):
    monkeypatch.setattr(statmemo, "RACY_NS", 0)        # every file counts as quiet
    statmemo.clear()
    d = tmp_path / "d"
    d.mkdir()
    (d / "x.py").write_text("import os\n")
    sig = statmemo.signature(d)
    assert sig is not None and sig == statmemo.signature(d)
    (d / "y.py").write_text("")                          # a new file: another signature
    assert statmemo.signature(d) != sig
    sig = statmemo.signature(d)
    (d / "x.py").write_text("import sys\n")              # same size, rewritten: ctime/mtime differ or size
    os.utime(d / "x.py", ns=(1, 1))
    assert statmemo.signature(d) != sig
    assert statmemo.signature(tmp_path / "missing") == ((str(tmp_path / "missing"), None),)


def test_file_digest_matches_sha256_and_follows_changes(tmp_path, monkeypatch):
    import hashlib
    monkeypatch.setattr(statmemo, "RACY_NS", 0)
    statmemo.clear()
    f = tmp_path / "a.txt"
    f.write_bytes(b"abc")
    assert statmemo.file_digest(f) == (b"abc", hashlib.sha256(b"abc").hexdigest())
    assert statmemo.file_digest(f) == (None, hashlib.sha256(b"abc").hexdigest())   # kept
    f.write_bytes(b"abcd")
    assert statmemo.file_digest(f)[1] == hashlib.sha256(b"abcd").hexdigest()


def test_code_hash_follows_an_edit_of_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(statmemo, "RACY_NS", 0)
    statmemo.clear()
    pkg = tmp_path / "pkg"
    (pkg / "templates").mkdir(parents=True)
    (pkg / "a.py").write_text("X = 1\n")
    first = run_plan.code_hash(("a",), package_dir=pkg)
    assert run_plan.code_hash(("a",), package_dir=pkg) == first
    (pkg / "a.py").write_text("X = 2\n")
    os.utime(pkg / "a.py", ns=(5, 5))
    second = run_plan.code_hash(("a",), package_dir=pkg)
    assert second != first and second == run_plan._code_hash(("a",), pkg)

