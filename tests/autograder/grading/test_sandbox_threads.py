"""The sandbox's thread count: ``ci`` grades run with the thread count calibration used, on any
machine and with any ``--workers`` (training numerics depend on it); other profiles share the CPUs."""
from autograder.calibration import runner
from autograder.grading import pipeline


def test_ci_is_graded_with_the_calibration_thread_count():
    assert pipeline.PINNED_THREADS["ci"] == runner.CALIBRATION_THREADS
    for workers in (1, 2, 8):
        for cores in (1, 2, 16, None):
            assert pipeline.sandbox_threads("ci", workers, cores) == runner.CALIBRATION_THREADS
    assert pipeline.sandbox_threads("ci", 1, 16, ray_cpus=4.0) == runner.CALIBRATION_THREADS


def test_other_profiles_share_the_cpus_among_workers():
    assert pipeline.sandbox_threads("cpu", 1, 16) == 16
    assert pipeline.sandbox_threads("cpu", 4, 16) == 4
    assert pipeline.sandbox_threads("cpu", 32, 16) == 1
    assert pipeline.sandbox_threads("gpu", 1, None) == 1
    assert pipeline.sandbox_threads("cpu", 1, 16, ray_cpus=2.0) == 2
