# Deep Learning for NLP course repo. `make help` lists the targets.
# Every target that runs Python first makes sure .venv exists and matches requirements.txt.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The stamp is named by requirements.txt's content: a fresh clone or an unpacked release (new file
# times, same content) installs nothing; an edited requirements.txt installs again.
STAMP  := $(VENV)/.installed-$(firstword $(shell sha256sum requirements.txt 2>/dev/null || shasum -a 256 requirements.txt))
CONFIG ?= quick
# common/homeworks.py knows what a homework is (a folder with a manifest.yaml); grading.course answers the Makefile.
COURSE  = $(PY) -m grading.course
# Grades go under dist/ (git-ignored, never released), not at the repository root.
GRADES ?= dist/grades

export MPLBACKEND := Agg
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup test test-slow run lint clean release submit grade grade-all similarity autograder-zip bench data \
        new-homework

# The instructor's checkout holds grading/student_readme.md; a student release does not (the release
# writes it as README.md), so there `make help` lists only the student targets, with the released homework
# (the highest-numbered one; earlier ones are reference code) as the example.
INSTRUCTOR := $(wildcard grading/student_readme.md)
EXAMPLE    := $(or $(if $(INSTRUCTOR),hw1_vocab),$(shell ls -d hw*_*/manifest.yaml 2>/dev/null | sort -V | tail -n 1 | cut -d/ -f1),hw1_vocab)
SHORT      := $(firstword $(subst _, ,$(EXAMPLE)))

help:
	@echo "make test            create .venv if needed, install, run the whole test suite"
	@echo "make run             run every homework's quick config; table + runs/REPORT.md (CONFIG=full for full)"
	@echo "make test-hwN        one homework's tests, e.g. make test-$(SHORT)"
	@echo "make run-hwN         one homework's run, e.g. make run-$(SHORT) (CONFIG=full for the full config)"
ifneq ($(INSTRUCTOR),)
	@echo "make test-slow       the slow checks: every homework's Gradescope zip run on its reference solution"
	@echo "make bench           every benchmark (bench-hwN for one); results in bench/results/"
	@echo "make release HW=$(EXAMPLE)                    one homework's student release: dist/$(EXAMPLE)/ + .zip"
	@echo "make release                                 the whole course stubbed: dist/student/ + dist/student.zip"
endif
ifeq ($(INSTRUCTOR),)
ifneq ($(wildcard $(EXAMPLE)/bench.py),)
	@echo "make bench-$(SHORT)        $(EXAMPLE)'s benchmark; results in bench/results/$(SHORT).{json,md}"
endif
endif
	@echo "make submit HW=$(EXAMPLE)                     check and zip your editable files -> dist/submission-$(EXAMPLE).zip"
	@echo "make grade HW=$(EXAMPLE) SUBMISSION=path      grade one submission -> $(GRADES)/$(EXAMPLE)/results.json"
ifneq ($(INSTRUCTOR),)
	@echo "make grade-all HW=$(EXAMPLE) SUBMISSIONS=dir  grade a folder of submissions -> $(GRADES)/$(EXAMPLE)/scores.csv,"
	@echo "                                              report.md/.html (class report), feedback/<submission>.md"
	@echo "make similarity HW=$(EXAMPLE) SUBMISSIONS=dir [THRESHOLD=0.5] [RELEASE=dist/$(EXAMPLE).zip]"
	@echo "                                              similar pairs of submissions -> $(GRADES)/$(EXAMPLE)/similarity/"
	@echo "make autograder-zip HW=$(EXAMPLE)             Gradescope autograder zip in dist/"
	@echo "make new-homework N=10 NAME=cnn              a new homework hw10_cnn/ in the course shape that passes"
	@echo "                                              every course check (docs/homework-shape.md: what to fill in)"
endif
	@echo "make data            download SST / SST-2 / Multi30k into data/ (needs internet; not needed when"
	@echo "                     ../shared/data or \$$COURSE_DATA holds them)"
	@echo "make lint            ruff";  echo "make clean           remove what git ignores but .venv and data/: runs/, dist/, caches"

# Setup: (re)install when no stamp matches requirements.txt's content.
$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed*; touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"
	$(if $(INSTRUCTOR),@echo "(slow checks, e.g. every homework's Gradescope zip graded as on Gradescope: make test-slow)")

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

# In a student release the earlier homeworks are reference code without their tests: only the released
# homework is tested and run.
test-hw%: $(STAMP)
	@folder=$$($(COURSE) folder hw$*) && \
	if [ -z "$(INSTRUCTOR)" ] && [ "$$folder" != "$(EXAMPLE)" ]; then \
	  echo "$$folder is reference code in this release (its tests are not shipped): make test-$(SHORT) tests $(EXAMPLE)"; \
	else echo "$(PY) -m pytest -q $$folder" && $(PY) -m pytest -q $$folder; fi

run: $(STAMP)
	$(PY) -m common.report --config $(CONFIG) $(if $(INSTRUCTOR),,--only $(EXAMPLE))

run-hw%: $(STAMP)
	@folder=$$($(COURSE) folder hw$*) && \
	if [ -z "$(INSTRUCTOR)" ] && [ "$$folder" != "$(EXAMPLE)" ]; then \
	  echo "$$folder is reference code in this release (only what $(EXAMPLE) builds on): make run-$(SHORT) runs $(EXAMPLE)"; \
	else $(PY) -m common.report --config $(CONFIG) --only $$folder; fi

bench: $(STAMP)
	@for d in $$($(COURSE) list); do if [ -f $$d/bench.py ]; then $(PY) -m $$d.bench || exit 1; fi; done

bench-hw%: $(STAMP)
	@folder=$$($(COURSE) folder hw$*) && $(PY) -m $$folder.bench

release: $(STAMP)
	$(PY) -m grading.release $(if $(HW),--hw $(HW))

submit: $(STAMP)
	@test -n "$(HW)" || { echo "usage: make submit HW=$(EXAMPLE)"; exit 2; }
	$(PY) -m grading.submit --hw $(HW)

grade: $(STAMP)
	@test -n "$(HW)" -a -n "$(SUBMISSION)" || { echo "usage: make grade HW=$(EXAMPLE) SUBMISSION=dist/submission-$(EXAMPLE).zip"; exit 2; }
	@mkdir -p $(GRADES)/$(HW)
	$(PY) -m grading.autograde --hw $(HW) --submission $(SUBMISSION) --results $(or $(RESULTS),$(GRADES)/$(HW)/results.json)

grade-all: $(STAMP)
	@test -n "$(HW)" -a -n "$(SUBMISSIONS)" || { echo "usage: make grade-all HW=hw1_vocab SUBMISSIONS=dir"; exit 2; }
	@mkdir -p $(GRADES)/$(HW)
	$(PY) -m grading.grade_all --hw $(HW) --submissions $(SUBMISSIONS) --csv $(or $(CSV),$(GRADES)/$(HW)/scores.csv)

# PYTHONHASHSEED: copydetect winnows Python's hash of each k-gram; a fixed seed gives the same scores every run.
similarity: $(STAMP)
	@test -n "$(HW)" -a -n "$(SUBMISSIONS)" || { echo "usage: make similarity HW=hw1_vocab SUBMISSIONS=dir [THRESHOLD=0.5]"; exit 2; }
	PYTHONHASHSEED=0 $(PY) -m grading.similarity --hw $(HW) --submissions $(SUBMISSIONS) --out $(GRADES)/$(HW)/similarity \
		$(if $(THRESHOLD),--threshold $(THRESHOLD)) $(if $(RELEASE),--release $(RELEASE))

autograder-zip: $(STAMP)
	@test -n "$(HW)" || { echo "usage: make autograder-zip HW=hw1_vocab"; exit 2; }
	$(PY) -m grading.gradescope --hw $(HW) --out dist/autograder-$(HW).zip

# A skeleton from grading/homework_template/; it refuses a number in use, a bad name or an existing folder.
new-homework: $(STAMP)
	@test -n "$(N)" -a -n "$(NAME)" || { echo "usage: make new-homework N=10 NAME=cnn (writes hw10_cnn/)"; exit 2; }
	$(PY) -m grading.new_homework --number $(N) --name $(NAME)

data: $(STAMP)
	$(PY) -m common.resources download all

lint: $(STAMP)
	$(PY) -m ruff check .

# Only what git ignores (runs, release and grades, caches); never a tracked file such as bench/results/.
clean:
	rm -rf runs dist .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
