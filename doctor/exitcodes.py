"""The exit codes of design.md: 0 nothing at or above --fail-on, 1 something is, 2 the doctor
could not run as asked (bad flag, unknown id, unreadable --env-file), 130 interrupted."""

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
