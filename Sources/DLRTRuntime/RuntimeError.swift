import DLRTModel

/// Errors raised by the runtime reuse `ModelError` so one mapping to C status codes covers all.
func shapeError(_ message: String) -> ModelError { ModelError(.shape, message) }
func argumentError(_ message: String) -> ModelError { ModelError(.invalidArgument, message) }
