package migrate

import "errors"

var (
	// ErrUnreachable is wrapped by the error of a database that did not
	// answer a ping within [WithConnectTimeout]: its step did not run.
	ErrUnreachable = errors.New("migrate: database unreachable")
	// ErrStopped is the error of a database not started because another
	// one failed and [WithFailFast] stops the run.
	ErrStopped = errors.New("migrate: not started: another database failed and WithFailFast stops the run")
	// ErrInvalidStep is wrapped by the error of a step built with bad
	// input ([Func] without a name, [Goose] without migrations): the run
	// does not start.
	ErrInvalidStep = errors.New("migrate: invalid step")
)
