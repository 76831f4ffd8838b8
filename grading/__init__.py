"""Course tooling (not a homework): the student release, the autograder, the instructor's view of a
graded class, and new homeworks.

- ``grading.markers``   strip ``# BEGIN SOLUTION`` / ``# END SOLUTION`` blocks from one source file
- ``grading.course``    the checkout's files and its instructor-only ones; the homework registry of common/homeworks
- ``grading.release``   ``python -m grading.release [--hw HW]`` (``make release [HW=...]``)
- ``grading.owners``    which tasks a stub's message names: the tasks whose tests exercise the function
- ``grading.leaks``     does a release give solution code away? (syntax-tree comparison)
- ``grading.points``    points split across parametrised cases; the handouts' grading tables
- ``grading.submit``    ``make submit HW=...``: check and zip a student's editable files
- ``grading.template``  the grading copy of one homework: release + hidden tests + earlier homeworks
- ``grading.autograde`` ``python -m grading.autograde --hw HW --submission PATH --results FILE``
- ``grading.summary``   ``make grade``'s console summary (points per task, failed tests) and task tags
- ``grading.sandbox``   the sandbox of the grader's child process (bubblewrap or unshare; fallback)
- ``grading.grade_all`` grade a folder of submissions in parallel into a CSV, a class report and feedback
- ``grading.class_report`` the class report (score histogram, per-task figures, most-failed tests)
- ``grading.feedback``  one Markdown feedback file per student (hidden tests by name and message only)
- ``grading.failures``  the grader's failure phrases, first failure lines, import/collection failures
- ``grading.document``  a small document written as Markdown or one self-contained HTML page
- ``grading.similarity`` ``make similarity``: code similarity of every pair of submissions (copydetect)
- ``grading.new_homework`` ``make new-homework N=10 NAME=cnn``: a homework skeleton in the course shape
- ``grading.gradescope`` the Gradescope autograder zip of one homework
- ``grading.needs``     the packages and datasets grading one homework needs (for the Gradescope zip)
- ``grading.plugin``    the pytest plugin the autograder loads into its child process
"""
