"""The one error type a bad recording produces, so callers can show it as-is."""


class RecordingError(ValueError):
    """A file or payload is not a usable rrweb recording.

    The message always names the source and the problem, e.g.
    ``privacy.json: not valid JSON (line 3, column 18: unexpected character)``.
    """

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
