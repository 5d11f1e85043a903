# Release and calibration targets (autograder.release, autograder.calibration).
ASSIGNMENT ?= hw1
.PHONY: release release-check calibrate
release: $(STAMP)  ## build assignments/$(ASSIGNMENT) (student notebooks) from solutions/ with nbgrader
	$(PY) -m autograder.cli release $(ASSIGNMENT)

release-check: $(STAMP)  ## fail if assignments/ drifted from solutions/
	$(PY) -m autograder.cli release $(ASSIGNMENT) --check

CAL_PROFILE ?= ci
SEEDS ?= 0 1 2
calibrate: $(STAMP)  ## re-measure thresholds: make calibrate CAL_PROFILE=cpu SEEDS="0 1"
	$(PY) -m autograder.cli calibrate $(ASSIGNMENT) --profile $(CAL_PROFILE) --seeds $(SEEDS)
