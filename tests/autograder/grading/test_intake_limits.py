"""Per-file limits at intake: a big or broken notebook is refused alone, and never read whole.

Old intake: one 65 MB notebook in an LMS zip failed the whole zip ("more than 2048 MiB of
notebooks"); a 200 MB notebook in a folder was read into memory before being refused.
Big files here are sparse or streamed through the zip writer; nothing big is committed.
"""
import tracemalloc
import zipfile

import pytest

from autograder.grading.inputs import MAX_NOTEBOOK_BYTES, discover
from autograder.grading.intake.sources import TooLarge, hash_capped
from lms_exports import STEMS, canvas, nb

MiB = 1 << 20


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_65_mb_notebook_in_a_zip_is_refused_alone_and_never_opened(tmp_path, monkeypatch):
    big = canvas("bigdata", 11, 21, "02_made.ipynb")
    z = tmp_path / "canvas.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(canvas("alice", 10, 20, "02_made.ipynb"), nb("alice"))
        with zf.open(big, "w", force_zip64=True) as fh:  # 65 MiB of outputs, compressed to ~300 kB
            for _ in range(65):
                fh.write(b"a" * MiB)
        zf.writestr(canvas("bigdata", 11, 21, "01_basics.ipynb"), nb("big's other notebook"))
        zf.writestr(canvas("zed", 12, 22, "01_basics.ipynb"), nb("zed"))
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **k: (
        opened.append(getattr(name, "filename", name)), real_open(self, name, *a, **k))[1])
    subs, peak = _peak_bytes(lambda: {s.key: s for s in discover(z, "fx1", STEMS)})
    assert subs["canvas:10"].notebooks == {"02_made": nb("alice")} and subs["canvas:12"].problems == []
    bigdata = subs["canvas:11"]
    assert bigdata.notebooks == {"01_basics": nb("big's other notebook")}
    (p,) = bigdata.problems
    assert p.kind == "too_large" and p.file == big and "65.0 MiB" in p.message and "64.0 MiB limit" in p.message
    assert big not in opened, "the big member was decompressed"
    assert peak < 8 * MiB, f"intake used {peak / MiB:.1f} MiB"


def test_a_200_mb_notebook_in_a_folder_is_refused_without_being_read(tmp_path):
    (tmp_path / "alice_02_made.ipynb").write_bytes(nb("alice"))
    with open(tmp_path / "mallory_02_made.ipynb", "wb") as fh:  # sparse: no disk, no time
        fh.truncate(200 * 10**6)
    subs, peak = _peak_bytes(lambda: {s.student: s for s in discover(tmp_path, "fx1", STEMS)})
    assert subs["alice"].notebooks == {"02_made": nb("alice")}
    (p,) = subs["mallory"].problems
    assert p.kind == "too_large" and "190.7 MiB is more than the 64.0 MiB limit" in p.message
    assert subs["mallory"].notebooks == {}
    assert peak < 8 * MiB, f"intake used {peak / MiB:.1f} MiB"


def test_the_limit_is_a_parameter(tmp_path):
    (tmp_path / "alice_02_made.ipynb").write_bytes(b"x" * 2000)
    (alice,) = discover(tmp_path, "fx1", STEMS, max_bytes=1000)
    assert alice.notebooks == {} and "1000" not in alice.problems[0].message  # sizes are said in MiB
    (alice,) = discover(tmp_path, "fx1", STEMS)
    assert alice.notebooks == {"02_made": b"x" * 2000} and MAX_NOTEBOOK_BYTES == 64 * MiB


def test_a_file_longer_than_it_claimed_is_cut_off_at_the_limit():
    """A source that claims 10 bytes and streams forever: the read stops after limit + 1 bytes."""
    import contextlib
    import io

    class Endless(io.RawIOBase):
        served = 0

        def readable(self):
            return True

        def readinto(self, buf):
            Endless.served += len(buf)
            buf[:] = b"x" * len(buf)
            return len(buf)

    class Lying:
        @contextlib.contextmanager
        def open(self, zf=None):
            yield Endless()

    with pytest.raises(TooLarge):
        hash_capped(Lying(), 3 * MiB)
    assert Endless.served == 3 * MiB + 1


def test_a_corrupt_member_is_refused_alone(tmp_path):
    z = tmp_path / "canvas.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(canvas("alice", 10, 20, "02_made.ipynb"), nb("alice"))
        zf.writestr(canvas("bob", 11, 21, "02_made.ipynb"), nb("bob-original"))
    z.write_bytes(z.read_bytes().replace(b"bob-original", b"bob-tampered"))  # CRC no longer matches
    subs = {s.key: s for s in discover(z, "fx1", STEMS)}
    assert subs["canvas:10"].notebooks == {"02_made": nb("alice")}
    (p,) = subs["canvas:11"].problems
    assert p.kind == "unreadable" and "could not be read" in p.message and subs["canvas:11"].notebooks == {}


def test_a_60k_character_file_name_is_left_to_the_instructor(tmp_path):
    """Zip names may be 65535 characters; names over 255 are never matched (no regex runs on them,
    so matching cannot go quadratic), the file is reported and can be mapped by hand."""
    z = tmp_path / "x.zip"
    long_name = "-" * 60000 + "x_02_made.ipynb"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(long_name, nb("long"))
        zf.writestr(canvas("alice", 10, 20, "02_made.ipynb"), nb("alice"))
    subs = {s.key: s for s in discover(z, "fx1", STEMS)}
    assert subs["canvas:10"].notebooks == {"02_made": nb("alice")}
    (long,) = [s for k, s in subs.items() if k != "canvas:10"]
    assert long.notebooks == {} and [p.kind for p in long.problems] == ["ambiguous_notebook"]
    assert len(long.student) <= 80
    (long,) = [s for s in discover(z, "fx1", STEMS, mapping={long_name: "02_made"}) if s.key != "canvas:10"]
    assert long.notebooks == {"02_made": nb("long")}


def test_intake_keeps_hashes_not_bytes_and_grading_gets_what_was_hashed(tmp_path):
    """Ten 5 MiB notebooks are listed in a few MiB; a file changed after intake is an error, not a grade."""
    from autograder.grading.inputs import SubmissionChanged

    for i in range(10):
        (tmp_path / f"s{i}_02_made.ipynb").write_bytes(bytes([65 + i]) * (5 * MiB))
    subs, peak = _peak_bytes(lambda: discover(tmp_path, "fx1", STEMS))
    assert peak < 4 * MiB, f"intake held {peak / MiB:.1f} MiB"
    assert subs[3].notebooks["02_made"] == b"D" * (5 * MiB)
    digest = subs[3].digest()
    (tmp_path / "s3_02_made.ipynb").write_bytes(b"E" * (5 * MiB))
    with pytest.raises(SubmissionChanged, match="changed since intake"):
        subs[3].notebooks["02_made"]
    assert subs[3].digest() == digest  # the digest is of what intake saw


def test_digest_is_the_same_for_listed_and_plain_bytes(tmp_path):
    from autograder.grading.inputs import Submission

    (tmp_path / "bo_02_made.ipynb").write_bytes(nb("bo"))
    (bo,) = discover(tmp_path, "fx1", STEMS)
    assert bo.digest() == Submission("bo", {"02_made": nb("bo")}).digest()
