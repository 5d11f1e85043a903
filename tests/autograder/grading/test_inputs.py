"""Intake: who handed in what, from each LMS's own key, with the file names students really use.

Every export is built here (tiny stand-in notebooks). Each case names the way the
old intake went wrong (a merge, an impersonation, a rejected real name).
"""
import pytest

from autograder.grading import inputs
from autograder.grading.inputs import IntakeError, Problem, Submission, discover, parse_map_args
from lms_exports import (GRADESCOPE_META, STEMS, blackboard, canvas, make_folder, make_zip, moodle, nb)


def by_key(subs):
    return {s.key: s for s in subs}


def kinds(sub):
    return sorted(p.kind for p in sub.problems)


# ------------------------------------------------------------------ nbgrader and flat folders
def test_nbgrader_layout(tmp_path):
    make_folder(tmp_path / "submitted", {f"{s}/fx1/01_basics.ipynb": nb(s) for s in ("alice", "bob")}
                | {"alice/other_hw/02_made.ipynb": nb("other assignment"), "alice/fx1/timestamp.txt": b"x"})
    subs = discover(tmp_path, "fx1", STEMS)
    assert [s.student for s in subs] == ["alice", "bob"]
    assert subs[0].notebooks == {"01_basics": nb("alice")} and subs[0].key == "nbgrader:alice"
    assert subs[0].problems == [] and subs[0].origin == "nbgrader"


def test_nbgrader_sanitised_collision_is_two_students_and_reported(tmp_path):
    """Old: `victim_b` and `victim_b!` became one student; the attacker's notebook was graded as the victim's."""
    make_folder(tmp_path / "submitted", {"victim_b/fx1/01_basics.ipynb": nb("victim"),
                                         "victim_b!/fx1/01_basics.ipynb": nb("attacker")})
    subs = by_key(discover(tmp_path, "fx1", STEMS))
    victim, attacker = subs["nbgrader:victim_b"], subs["nbgrader:victim_b!"]
    assert victim.notebooks == {"01_basics": nb("victim")} and attacker.notebooks == {"01_basics": nb("attacker")}
    assert victim.student != attacker.student and victim.student.startswith("victim_b-")
    for sub, other in ((victim, "victim_b!/fx1/01_basics.ipynb"), (attacker, "victim_b/fx1/01_basics.ipynb")):
        (p,) = sub.problems
        assert p.kind == "identity_collision" and p.other == other and other in p.for_instructor()
        assert other not in str(p), "a student's feedback must not name another student's file"
        assert "graded on its own" in p.message


def test_flat_folder_one_student_per_prefix(tmp_path):
    make_folder(tmp_path, {"alice_01_basics.ipynb": nb("a1"), "alice-02_made.ipynb": nb("a2"),
                           "carol.ipynb": nb("c")})
    subs = {s.student: s for s in discover(tmp_path, "fx1", STEMS)}
    assert subs["alice"].notebooks == {"01_basics": nb("a1"), "02_made": nb("a2")}
    (p,) = subs["carol"].problems
    assert p.kind == "ambiguous_notebook" and p.file == "carol.ipynb" and "01_basics, 02_made" in p.message
    single = {s.student: s for s in discover(tmp_path, "fx1", ["01_basics"])}
    assert single["carol"].notebooks == {"01_basics": nb("c")}


def test_flat_collision_names_both_files(tmp_path):
    make_folder(tmp_path, {"victim_b_01_basics.ipynb": nb("victim"), "victim_b!_01_basics.ipynb": nb("attacker")})
    subs = by_key(discover(tmp_path, "fx1", STEMS))
    assert subs["flat:victim_b"].notebooks == {"01_basics": nb("victim")}
    assert subs["flat:victim_b!"].notebooks == {"01_basics": nb("attacker")}
    assert subs["flat:victim_b"].problems[0].other == "victim_b!_01_basics.ipynb"


def test_flat_real_names_spaces_duplicates_and_case(tmp_path):
    """Old: `Erin Doe - 02_made.ipynb` and `02_made (1).ipynb` were 'cannot tell which notebook this is'."""
    make_folder(tmp_path, {"Erin Doe - 02_made.ipynb": nb("e1"), "Erin Doe - 02_made (1).ipynb": nb("e2"),
                           "Erin Doe - 01_BASICS.IPYNB": nb("e3")})
    (erin,) = discover(tmp_path, "fx1", STEMS)
    assert erin.student == "Erin_Doe" and erin.key == "flat:Erin Doe"
    assert erin.notebooks == {"01_basics": nb("e3"), "02_made": nb("e2")}
    (p,) = erin.problems
    assert p.kind == "older_attempt" and p.file == "Erin Doe - 02_made.ipynb"
    assert "Erin Doe - 02_made (1).ipynb" in p.message and "was graded" in p.message


# ------------------------------------------------------------------ Canvas
def test_canvas_identity_is_the_user_id(tmp_path):
    """Old: two Canvas users with one display name were merged (one file dropped as 'a second file')."""
    z = make_zip(tmp_path / "canvas.zip", {canvas("smithjane", 1234, 5678, "01_basics.ipynb"): nb("jane 1"),
                                           canvas("smithjane", 4321, 8765, "01_basics.ipynb", late=True): nb("jane 2")})
    subs = by_key(discover(z, "fx1", STEMS))
    assert subs["canvas:1234"].notebooks == {"01_basics": nb("jane 1")}
    assert subs["canvas:4321"].notebooks == {"01_basics": nb("jane 2")}
    assert {s.student for s in subs.values()} == {"smithjane_1234", "smithjane_4321"}
    assert all(s.problems == [] and s.origin == "canvas" and s.name == "smithjane" for s in subs.values())


def test_canvas_resubmission_latest_attempt_wins(tmp_path):
    """Old: `carol_LATE_123_456_02_made-1.ipynb` was 'cannot tell which notebook this is' (scored 0)."""
    z = make_zip(tmp_path / "canvas.zip", {canvas("carol", 123, 456, "02_made.ipynb", late=True): nb("first"),
                                           canvas("carol", 123, 456, "02_made-1.ipynb", late=True): nb("second"),
                                           canvas("carol", 123, 456, "01_basics.ipynb", late=True): nb("basics")})
    (carol,) = discover(z, "fx1", STEMS)
    assert carol.key == "canvas:123" and carol.notebooks == {"01_basics": nb("basics"), "02_made": nb("second")}
    assert carol.files["02_made"] == "carol_LATE_123_456_02_made-1.ipynb"
    (p,) = carol.problems
    assert p.kind == "older_attempt" and p.file == "carol_LATE_123_456_02_made.ipynb"


def test_canvas_later_submission_id_wins(tmp_path):
    z = make_zip(tmp_path / "canvas.zip", {canvas("dan", 7, 100, "02_made-3.ipynb"): nb("old"),
                                           canvas("dan", 7, 200, "02_made.ipynb"): nb("new")})
    (dan,) = discover(z, "fx1", STEMS)
    assert dan.notebooks == {"02_made": nb("new")} and kinds(dan) == ["older_attempt"]


# ------------------------------------------------------------------ Moodle
def test_moodle_identity_ignores_paths_inside_the_upload(tmp_path):
    """Old: a Moodle folder holding `submitted/<Other Student>/...` was graded as that other student."""
    z = make_zip(tmp_path / "moodle.zip", {
        moodle("Alice Ng", 8, "02_made.ipynb"): nb("alice"),
        moodle("Eve Evil", 7, "submitted/Alice Ng_8_assignsubmission_file_/fx1/02_made.ipynb"): nb("eve"),
        moodle("Eve Evil", 7, "Alice Ng_8_assignsubmission_file_/01_basics.ipynb"): nb("eve 2"),
    })
    subs = by_key(discover(z, "fx1", STEMS))
    assert set(subs) == {"moodle:7", "moodle:8"}
    assert subs["moodle:8"].notebooks == {"02_made": nb("alice")} and subs["moodle:8"].student == "Alice_Ng_8"
    assert subs["moodle:7"].notebooks == {"02_made": nb("eve"), "01_basics": nb("eve 2")}
    assert subs["moodle:7"].name == "Eve Evil"


def test_moodle_browser_duplicate_and_clutter(tmp_path):
    """`02_made (1).ipynb` is the later download; __MACOSX, .DS_Store and checkpoints are never submissions."""
    z = make_zip(tmp_path / "moodle.zip", {
        moodle("Bo Li", 3, "02_made.ipynb"): nb("first"),
        moodle("Bo Li", 3, "02_made (1).ipynb"): nb("second"),
        moodle("Bo Li", 3, ".ipynb_checkpoints/02_made-checkpoint.ipynb"): nb("checkpoint"),
        moodle("Bo Li", 3, ".DS_Store"): b"\0\0",
        "__MACOSX/" + moodle("Bo Li", 3, "._02_made.ipynb"): b"resource fork",
        "__MACOSX/._Mallory_01_basics.ipynb": b"resource fork",
    })
    (bo,) = discover(z, "fx1", STEMS)
    assert bo.notebooks == {"02_made": nb("second")} and kinds(bo) == ["older_attempt"]


def test_moodle_two_unordered_files_for_one_notebook_is_an_error_naming_both(tmp_path):
    z = make_zip(tmp_path / "moodle.zip", {moodle("Bo Li", 3, "02_made.ipynb"): nb("a"),
                                           moodle("Bo Li", 3, "hw1_02_made.ipynb"): nb("b"),
                                           moodle("Cy Ho", 4, "02_made.ipynb"): nb("same"),
                                           moodle("Cy Ho", 4, "copy/02_made.ipynb"): nb("same")})
    subs = by_key(discover(z, "fx1", STEMS))
    bo = subs["moodle:3"]
    assert bo.notebooks == {} and kinds(bo) == ["duplicate", "duplicate"]
    assert "hw1_02_made.ipynb" in bo.problems[0].message and "neither was graded" in bo.problems[0].message
    assert subs["moodle:4"].notebooks == {"02_made": nb("same")}, "identical copies are not a conflict"


# ------------------------------------------------------------------ Blackboard and Gradescope
def test_blackboard_username_and_latest_attempt(tmp_path):
    z = make_zip(tmp_path / "bb.zip", {
        blackboard("HW 1_Made", "jdoe", "2026-11-30-09-00-00", "02_made.ipynb"): nb("early"),
        blackboard("HW 1_Made", "jdoe", "2026-11-30-21-15-00", "02_made.ipynb"): nb("late"),
        blackboard("HW 1_Made", "jdoe", "2026-11-30-21-15-00", None): b"Name: J Doe\n",
        blackboard("HW 1_Made", "asmith", "2026-11-29-08-00-00", "Made notebook 01_basics.ipynb"): nb("as"),
    })
    subs = by_key(discover(z, "fx1", STEMS))
    assert subs["blackboard:jdoe"].notebooks == {"02_made": nb("late")} and subs["blackboard:jdoe"].student == "jdoe"
    assert kinds(subs["blackboard:jdoe"]) == ["older_attempt"]
    assert subs["blackboard:asmith"].notebooks == {"01_basics": nb("as")}


def test_gradescope_export_identity_is_the_submission_id(tmp_path):
    """Two submitters with the same name stay two students; names come from submission_metadata.yml."""
    z = make_zip(tmp_path / "gs.zip", {
        "assignment_9_export/submission_metadata.yml": GRADESCOPE_META.encode(),
        "assignment_9_export/submission_111/02_made.ipynb": nb("ann 1"),
        "assignment_9_export/submission_222/hw/02_made.ipynb": nb("ann 2"),
        "assignment_9_export/submission_222/submitted/bob/fx1/01_basics.ipynb": nb("ann 3"),
    })
    subs = by_key(discover(z, "fx1", STEMS))
    assert set(subs) == {"gradescope:111", "gradescope:222"}
    assert subs["gradescope:111"].student == "Ann_Lee_111" and subs["gradescope:111"].name == "Ann Lee"
    assert subs["gradescope:222"].notebooks == {"02_made": nb("ann 2"), "01_basics": nb("ann 3")}


def test_nbgrader_course_zipped(tmp_path):
    z = make_zip(tmp_path / "course.zip", {"course/submitted/alice/fx1/01_basics.ipynb": nb("a"),
                                           "course/source/fx1/01_basics.ipynb": nb("solution")})
    (alice,) = discover(z, "fx1", STEMS)
    assert alice.key == "nbgrader:alice" and alice.notebooks == {"01_basics": nb("a")}


# ------------------------------------------------------------------ mapping by hand
def test_ambiguous_file_named_and_mapped_by_hand(tmp_path):
    z = make_zip(tmp_path / "moodle.zip", {moodle("Bo Li", 3, "my final version.ipynb"): nb("bo"),
                                           moodle("Bo Li", 3, "scratch.ipynb"): nb("scratch")})
    (bo,) = discover(z, "fx1", STEMS)
    assert bo.notebooks == {} and kinds(bo) == ["ambiguous_notebook"] * 2
    p = bo.problems[0]
    assert p.file.endswith("my final version.ipynb") and "expected a file named <notebook>.ipynb" in p.message
    mapping = parse_map_args(["my final version.ipynb=02_made", moodle("Bo Li", 3, "scratch.ipynb") + "=-"], STEMS)
    (bo,) = discover(z, "fx1", STEMS, mapping=mapping)
    assert bo.notebooks == {"02_made": nb("bo")} and bo.problems == []


@pytest.mark.parametrize("arg, words", [("nonsense", "FILE=NOTEBOOK"), ("a.ipynb=", "FILE=NOTEBOOK"),
                                        ("a.ipynb=03_nope", "not a notebook of this assignment")])
def test_parse_map_args_rejects_bad_items(arg, words):
    with pytest.raises(IntakeError, match=words):
        parse_map_args([arg], STEMS)


def test_parse_map_args_file_names_may_contain_equals():
    assert parse_map_args(["a=b.ipynb=02_made"]) == {"a=b.ipynb": "02_made"}


def test_mapping_a_missing_file_is_an_instructor_error(tmp_path):
    make_folder(tmp_path, {"alice_01_basics.ipynb": nb("a")})
    with pytest.raises(IntakeError, match="not in the submissions: typo.ipynb"):
        discover(tmp_path, "fx1", STEMS, mapping={"typo.ipynb": "02_made"})


# ------------------------------------------------------------------ odds and ends
def test_zip_slip_and_links_are_never_followed(tmp_path):
    z = make_zip(tmp_path / "lms.zip", {"../../etc/evil_01_basics.ipynb": nb("slip"),
                                        "/abs_01_basics.ipynb": nb("abs"), moodle("Bo Li", 3, "hw.zip"): b"PK"})
    (bo,) = discover(z, "fx1", STEMS)
    assert bo.notebooks == {} and kinds(bo) == ["not_opened"]
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "alice_01_basics.ipynb").symlink_to("/etc/passwd")
    (alice,) = discover(tmp_path / "f", "fx1", STEMS)
    assert alice.notebooks == {} and kinds(alice) == ["not_opened"]


def test_bad_paths_are_one_line_instructor_errors(tmp_path):
    (tmp_path / "list.txt").write_text("alice\n")
    with pytest.raises(IntakeError, match="not a zip or a notebook"):
        discover(tmp_path / "list.txt", "fx1", STEMS)
    with pytest.raises(IntakeError, match="does not exist"):
        discover(tmp_path / "nope", "fx1", STEMS)
    assert issubclass(IntakeError, ValueError)


def test_problems_are_typed_and_still_strings(tmp_path):
    make_folder(tmp_path, {"carol.ipynb": nb("c")})
    (carol,) = discover(tmp_path, "fx1", STEMS)
    (p,) = carol.problems
    assert isinstance(p, Problem) and isinstance(p, str) and str(p).startswith("carol.ipynb: cannot tell")
    assert p.to_dict()["kind"] == "ambiguous_notebook" and p.student == carol.student
    assert inputs.instructor_report([carol]) == [f"carol: {p}"]
    import copy
    import pickle

    again = pickle.loads(pickle.dumps(carol))  # worker processes receive submissions pickled
    assert again.problems[0].to_dict() == p.to_dict() and str(again.problems[0]) == str(p)
    assert copy.deepcopy(p).kind == p.kind


def test_digest_changes_with_content():
    assert Submission("a", {"x": b"1"}).digest() != Submission("a", {"x": b"2"}).digest()


def test_a_student_upload_cannot_change_the_layout_of_the_class(tmp_path):
    """A Moodle upload holding submission_metadata.yml / submitted/ stays that student's files."""
    z = make_zip(tmp_path / "moodle.zip", {
        moodle("Eve Evil", 7, "submission_metadata.yml"): GRADESCOPE_META.encode(),
        moodle("Eve Evil", 7, "submission_111/02_made.ipynb"): nb("eve"),
        moodle("Alice Ng", 8, "02_made.ipynb"): nb("alice"),
    })
    subs = by_key(discover(z, "fx1", STEMS))
    assert set(subs) == {"moodle:7", "moodle:8"} and subs["moodle:8"].notebooks == {"02_made": nb("alice")}
    alone = make_zip(tmp_path / "eve.zip", {moodle("Eve Evil", 7, "submitted/alice/fx1/02_made.ipynb"): nb("eve")})
    (eve,) = discover(alone, "fx1", STEMS)
    assert eve.key == "moodle:7" and eve.notebooks == {"02_made": nb("eve")}


def test_one_student_folder_takes_the_latest_attempt_of_each_notebook(tmp_path):
    """Gradescope's autograder sees one student's upload: every file is theirs, whatever its name."""
    make_folder(tmp_path, {"Erin Doe - 02_made.ipynb": nb("old"), "02_made (1).ipynb": nb("new"),
                           "hw/01_BASICS.ipynb": nb("basics"), "__MACOSX/._02_made.ipynb": b"x"})
    (sub,) = discover(tmp_path, "fx1", STEMS, one_student=True)
    assert sub.student == "student" and sub.notebooks == {"01_basics": nb("basics"), "02_made": nb("new")}
    assert kinds(sub) == ["older_attempt"]
    assert discover(tmp_path / "hw", "fx1", STEMS, one_student=True)[0].notebooks == {"01_basics": nb("basics")}


def test_a_single_notebook_file(tmp_path):
    (tmp_path / "carol_02_made.ipynb").write_bytes(nb("c"))
    (carol,) = discover(tmp_path / "carol_02_made.ipynb", "fx1", STEMS)
    assert carol.student == "carol" and carol.notebooks == {"02_made": nb("c")}


def test_names_a_student_controls_cannot_borrow_another_key(tmp_path):
    """A Moodle profile name that ends like another student's folder, a Blackboard file name that
    embeds another attempt prefix, a Canvas file name that embeds ids: each stays its owner's."""
    z = make_zip(tmp_path / "moodle.zip", {moodle("Alice Ng", 8, "02_made.ipynb"): nb("alice"),
                                           moodle("Alice Ng_8_assignsubmission_file_", 7, "02_made.ipynb"): nb("eve")})
    subs = by_key(discover(z, "fx1", STEMS))
    assert subs["moodle:8"].notebooks == {"02_made": nb("alice")}
    assert subs["moodle:7"].notebooks == {"02_made": nb("eve")}
    z = make_zip(tmp_path / "bb.zip", {
        blackboard("HW_1", "alice", "2026-11-30-09-00-00", "02_made.ipynb"): nb("alice"),
        blackboard("HW_1", "eve", "2026-11-30-09-00-00",
                   "x_alice_attempt_2030-01-01-00-00-00_02_made.ipynb"): nb("eve"),
    })
    subs = by_key(discover(z, "fx1", STEMS))
    assert subs["blackboard:alice"].notebooks == {"02_made": nb("alice")} and subs["blackboard:alice"].problems == []
    assert subs["blackboard:eve"].notebooks == {"02_made": nb("eve")}
    z = make_zip(tmp_path / "canvas.zip", {canvas("alice", 8, 80, "02_made.ipynb"): nb("alice"),
                                           canvas("eve", 7, 70, "alice_8_99_02_made.ipynb"): nb("eve")})
    subs = by_key(discover(z, "fx1", STEMS))
    assert subs["canvas:8"].notebooks == {"02_made": nb("alice")} and subs["canvas:8"].problems == []
    assert subs["canvas:7"].notebooks == {"02_made": nb("eve")}
    z = make_zip(tmp_path / "canvas2.zip", {canvas("eve", 7, 70, "x_8_assignsubmission_file_02_made.ipynb"): nb("eve")})
    assert [s.key for s in discover(z, "fx1", STEMS)] == ["canvas:7"]


@pytest.mark.parametrize("files, key, stem", [
    ({"smithjane_1234_5678_02_made.ipynb": nb("x")}, "canvas:1234", "02_made"),             # on time
    ({"Bo Li_3_assignsubmission_onlinetext_/02_made.IPYNB": nb("x")}, "moodle:3", "02_made"),  # other plugin
    ({"submission_metadata.yml": b"{}", "submission_5/nb/01_basics.ipynb": nb("x")}, "gradescope:5", "01_basics"),
    ({"Bo Li/01 basics.ipynb": nb("x")}, "folder:Bo Li", "01_basics"),                      # folder per student
    ({"Bo Li\\\\02_made.ipynb": nb("x")}, "folder:Bo Li", "02_made"),                         # Windows zip tool
    ({"submitted/bo/fx1/02_made.ipynb": nb("x"), "release/fx1/02_made.ipynb": nb("r")}, "nbgrader:bo", "02_made"),
    ({"bo.02_made.ipynb": nb("x"), "__MACOSX/bo.02_made.ipynb": b"x"}, "flat:bo", "02_made"),
])
def test_valid_exports_written_differently(tmp_path, files, key, stem):
    (sub,) = discover(make_zip(tmp_path / "x.zip", files), "fx1", STEMS)
    assert (sub.key, sub.notebooks, sub.problems) == (key, {stem: nb("x")}, [])


def test_folder_names_cannot_be_files_the_grader_writes(tmp_path):
    make_folder(tmp_path, {"grades.csv_01_basics.ipynb": nb("g"), "gradebook.db_01_basics.ipynb": nb("d"),
                           "results.json_01_basics.ipynb": nb("r"), "notes.txt": b"not a submission"})
    names = sorted(s.student for s in discover(tmp_path, "fx1", STEMS))
    assert [n.split("-")[0] for n in names] == ["gradebook.db", "grades.csv", "results.json"]
    assert all(len(n.split("-")[1]) == 10 for n in names)
    (tmp_path / "jane.doe_01_basics.ipynb").write_bytes(nb("j"))  # nbgrader-style ids with dots stay as they are
    assert "jane.doe" in {s.student for s in discover(tmp_path, "fx1", STEMS)}


def test_map_accepts_the_path_as_the_instructor_sees_it(tmp_path):
    make_folder(tmp_path / "course" / "submitted", {"bo/fx1/final.ipynb": nb("bo")})
    for spelling in ("final.ipynb", "bo/fx1/final.ipynb", "submitted/bo/fx1/final.ipynb",
                     str(tmp_path / "course" / "submitted" / "bo" / "fx1" / "final.ipynb")):
        (bo,) = discover(tmp_path / "course", "fx1", STEMS, mapping={spelling: "02_made"})
        assert bo.notebooks == {"02_made": nb("bo")}, spelling


def test_moodle_without_folders(tmp_path):
    """Moodle's "download without folders": the prefix is on each file; a name that carries the marker
    twice (a profile name or file name made to look like another student's) is nobody's Moodle file."""
    z = make_zip(tmp_path / "moodle.zip", {
        "Alice Ng_8_assignsubmission_file_02_made (1).ipynb": nb("alice"),
        "Alice Ng_8_assignsubmission_file_02_made.ipynb": nb("alice old"),
        "Eve_7_assignsubmission_file_Alice Ng_8_assignsubmission_file_01_basics.ipynb": nb("eve"),
    })
    subs = by_key(discover(z, "fx1", STEMS))
    assert subs["moodle:8"].notebooks == {"02_made": nb("alice")} and kinds(subs["moodle:8"]) == ["older_attempt"]
    assert "moodle:7" not in subs and all(k == "moodle:8" or k.startswith("flat:") for k in subs)
