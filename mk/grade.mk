# Grading pipeline (autograder/grading). Variables:
#   ASSIGNMENT (default hw1), SUBMISSIONS (nbgrader course folder, flat folder or LMS zip),
#   WORKERS (default 2), PROFILE (ci|cpu|gpu, default: auto), PROGRESS (bar|lines|none, default:
#   bar on a terminal, else one line per student), GRADE_ARGS (extra flags, e.g. --map FILE=NOTEBOOK).
ASSIGNMENT ?= hw1
SUBMISSIONS ?= out/examples/$(ASSIGNMENT)
WORKERS ?= 2
PROFILE ?=
PROGRESS ?=
.PHONY: grade gradescope
grade: $(STAMP)  ## grade SUBMISSIONS in sandboxes -> out/grades/$(ASSIGNMENT) (results.json, feedback, grades.csv, gradebook)
	$(PY) -m autograder.cli grade $(ASSIGNMENT) $(SUBMISSIONS) --workers $(WORKERS) $(if $(PROFILE),--profile $(PROFILE)) $(if $(PROGRESS),--progress $(PROGRESS)) $(GRADE_ARGS)

gradescope: $(STAMP)  ## build the Gradescope autograder zip -> out/gradescope/$(ASSIGNMENT).zip
	$(PY) -m autograder.cli gradescope $(ASSIGNMENT)
