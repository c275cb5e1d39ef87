package stack

import (
	"fmt"
	"log/slog"
	"os"
)

// AsynqLogger returns an asynq.Logger that writes to log, tagged with
// component=asynq.
func AsynqLogger(log *slog.Logger) *SlogAsynq {
	return &SlogAsynq{log: log.With("component", "asynq")}
}

// SlogAsynq is an asynq.Logger on a *slog.Logger.
type SlogAsynq struct{ log *slog.Logger }

// Debug logs at debug level.
func (l *SlogAsynq) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...)) }

// Info logs at info level.
func (l *SlogAsynq) Info(args ...any) { l.log.Info(fmt.Sprint(args...)) }

// Warn logs at warn level.
func (l *SlogAsynq) Warn(args ...any) { l.log.Warn(fmt.Sprint(args...)) }

// Error logs at error level.
func (l *SlogAsynq) Error(args ...any) { l.log.Error(fmt.Sprint(args...)) }

// Fatal logs at error level and exits with status 1, as asynq expects.
func (l *SlogAsynq) Fatal(args ...any) {
	l.log.Error(fmt.Sprint(args...))
	os.Exit(1)
}
