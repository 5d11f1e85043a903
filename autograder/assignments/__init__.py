"""Assignment definitions: one sub-package per assignment (``hw1``), whose
modules register :class:`~autograder.assignments.base.Question` objects."""
