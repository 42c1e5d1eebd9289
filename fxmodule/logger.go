package fxmodule

import (
	"errors"
	"log/slog"
	"sync"

	"go.uber.org/fx/fxevent"

	"github.com/aspirego/redis/internal/fxerr"
)

// eventLogger is fx's event logger under Module. fx's own events go to
// slog.Default() at DEBUG. A failure is logged once, at ERROR: fx reports
// one constructor error up to four times (when the constructor runs, when
// the invoke that needed it fails, when start fails), each time at the end
// of its chain of "could not build arguments for function ..." lines, and
// names an annotated constructor "reflect".makeFuncStub. A failure of one
// of this module's constructors (or of a hook one registered) is logged as
// "start-up failed: rediscache.Client("cache"): <cause>"; any other as fx
// words it, the first time its innermost cause appears.
type eventLogger struct {
	mu     sync.Mutex
	logged map[string]bool // innermost causes already logged
}

func newEventLogger() fxevent.Logger { return &eventLogger{logged: make(map[string]bool)} }

// LogEvent logs e; see eventLogger.
func (l *eventLogger) LogEvent(e fxevent.Event) {
	logger := slog.Default()
	phase, err := eventError(e)
	if err != nil {
		if !l.first(innermost(err)) {
			return
		}
		if label, cause := fxerr.Of(err); label != "" {
			logger.Error(phase + " failed: " + label + ": " + cause.Error())
			return
		}
	}
	fl := &fxevent.SlogLogger{Logger: logger}
	fl.UseLogLevel(slog.LevelDebug)
	fl.UseErrorLevel(slog.LevelError)
	fl.LogEvent(e)
}

// first reports whether cause is logged for the first time.
func (l *eventLogger) first(cause error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	msg := cause.Error()
	if l.logged[msg] {
		return false
	}
	l.logged[msg] = true
	return true
}

// innermost follows err's chain of single causes (fx's and dig's wrapping,
// ours) to its end.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// eventError returns the phase an fx event belongs to and the error it
// reports, if any.
func eventError(e fxevent.Event) (string, error) {
	switch e := e.(type) {
	case *fxevent.OnStopExecuted:
		return "stop", e.Err
	case *fxevent.Stopped:
		return "stop", e.Err
	case *fxevent.OnStartExecuted:
		return "start-up", e.Err
	case *fxevent.RollingBack:
		return "start-up", e.StartErr
	case *fxevent.RolledBack:
		return "start-up", e.Err
	case *fxevent.Started:
		return "start-up", e.Err
	case *fxevent.Run:
		return "start-up", e.Err
	case *fxevent.Invoked:
		return "start-up", e.Err
	case *fxevent.Provided:
		return "start-up", e.Err
	case *fxevent.Supplied:
		return "start-up", e.Err
	case *fxevent.Decorated:
		return "start-up", e.Err
	case *fxevent.Replaced:
		return "start-up", e.Err
	case *fxevent.LoggerInitialized:
		return "start-up", e.Err
	}
	return "", nil
}
