"""Submissions are found in the three layouts instructors actually have."""
import zipfile

from autograder.grading.inputs import discover

STEMS = ["01_basics", "02_more"]


def test_nbgrader_layout(tmp_path):
    for student in ("alice", "bob"):
        d = tmp_path / "submitted" / student / "fx1"
        d.mkdir(parents=True)
        (d / "01_basics.ipynb").write_bytes(b"{}" + student.encode())
    subs = discover(tmp_path, "fx1", STEMS)
    assert [s.student for s in subs] == ["alice", "bob"] and list(subs[0].notebooks) == ["01_basics"]


def test_flat_folder_student_from_file_name(tmp_path):
    (tmp_path / "alice_01_basics.ipynb").write_bytes(b"a")
    (tmp_path / "alice-02_more.ipynb").write_bytes(b"b")
    (tmp_path / "carol.ipynb").write_bytes(b"c")
    subs = {s.student: s for s in discover(tmp_path, "fx1", STEMS)}
    assert sorted(subs["alice"].notebooks) == STEMS
    assert subs["carol"].problems and "cannot tell which notebook" in subs["carol"].problems[0]
    single = {s.student: s for s in discover(tmp_path, "fx1", ["01_basics"])}
    assert "carol" in single and single["carol"].notebooks == {"01_basics": b"c"}


def test_lms_zips_canvas_moodle_and_zip_slip(tmp_path):
    z = tmp_path / "lms.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("smithjane_LATE_1234_5678_01_basics.ipynb", b"canvas")
        zf.writestr("Tom Lee_42_assignsubmission_file_/01_basics.ipynb", b"moodle")
        zf.writestr("../../etc/evil_01_basics.ipynb", b"slip")
        zf.writestr("__MACOSX/._x_01_basics.ipynb", b"junk")
    subs = {s.student: s for s in discover(z, "fx1", STEMS)}
    assert subs["smithjane"].notebooks == {"01_basics": b"canvas"}
    assert subs["Tom_Lee_42"].notebooks == {"01_basics": b"moodle"}
    assert all(b"slip" not in nb for s in subs.values() for nb in s.notebooks.values())


def test_digest_changes_with_content():
    from autograder.grading.inputs import Submission

    assert Submission("a", {"x": b"1"}).digest() != Submission("a", {"x": b"2"}).digest()
