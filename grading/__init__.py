"""Course tooling (not a homework): the student release and the autograder.

- ``grading.markers``   strip ``# BEGIN SOLUTION`` / ``# END SOLUTION`` blocks from one source file
- ``grading.course``    discover homeworks and their manifests; list the files of the checkout
- ``grading.release``   ``python -m grading.release [--hw HW]`` (``make release [HW=...]``)
- ``grading.leaks``     does a release give solution code away? (syntax-tree comparison)
- ``grading.points``    points split across parametrised cases; the handouts' grading tables
- ``grading.submit``    ``make submit HW=...``: check and zip a student's editable files
- ``grading.template``  the grading copy of one homework: release + hidden tests + earlier homeworks
- ``grading.autograde`` ``python -m grading.autograde --hw HW --submission PATH --results FILE``
- ``grading.sandbox``   the sandbox of the grader's child process (bubblewrap or unshare; fallback)
- ``grading.grade_all`` grade a folder of submissions in parallel into a CSV
- ``grading.gradescope`` the Gradescope autograder zip of one homework
- ``grading.needs``     the packages and datasets grading one homework needs (for the Gradescope zip)
- ``grading.plugin``    the pytest plugin the autograder loads into its child process
"""
