package otlp

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"slices"
	"sync"
)

// slog's default logger while applications run (see Module).
//
// Each running application that exports logs made its logger slog's
// default when it started: the last one started wins. An application that
// stops puts back what it replaced, if slog's default is still its logger;
// otherwise (a later application's logger, or one the service set) it
// leaves slog's default alone, and the application started after it
// inherits what it had replaced. So however applications start and stop,
// in sequence or concurrently, slog's default ends as it was before the
// first one started, unless the service itself changed it meanwhile.
var defaults struct {
	mu sync.Mutex
	// installed, oldest first: the loggers still installed by running
	// applications.
	installed []*installed
}

// installed is a logger made slog's default by an application.
type installed struct {
	logger *slog.Logger
	local  slog.Handler // what it prints with (see console)
	// What it replaced: slog's default and the standard logger's output
	// and flags, which slog.SetDefault changes.
	prev   *slog.Logger
	out    io.Writer
	flags  int
	prefix string
}

// install makes l, which prints through local, slog's default.
func install(l *slog.Logger, local slog.Handler) *installed {
	defaults.mu.Lock()
	defer defaults.mu.Unlock()
	d := &installed{logger: l, local: local, prev: slog.Default(), out: log.Writer(), flags: log.Flags(), prefix: log.Prefix()}
	slog.SetDefault(l)
	defaults.installed = append(defaults.installed, d)
	return d
}

// uninstall puts back what install replaced, if slog's default is still
// d's logger.
func (d *installed) uninstall() {
	defaults.mu.Lock()
	defer defaults.mu.Unlock()
	i := slices.Index(defaults.installed, d)
	if i < 0 {
		return
	}
	defaults.installed = slices.Delete(defaults.installed, i, i+1)
	if i < len(defaults.installed) {
		if next := defaults.installed[i]; next.prev == d.logger {
			// The next application replaced d's logger: it puts back
			// what d replaced, not d's logger, which stops exporting now.
			next.prev, next.out, next.flags, next.prefix = d.prev, d.out, d.flags, d.prefix
		}
	}
	if slog.Default() == d.logger {
		slog.SetDefault(d.prev)
		// slog.SetDefault leaves the standard logger as it is when the
		// logger is slog's own first default: put it back too.
		log.SetOutput(d.out)
		log.SetFlags(d.flags)
		log.SetPrefix(d.prefix)
	}
}

// installedLocal returns the local handler of l when l is a logger an
// application installed.
func installedLocal(l *slog.Logger) (slog.Handler, bool) {
	defaults.mu.Lock()
	defer defaults.mu.Unlock()
	for _, d := range defaults.installed {
		if d.logger == l {
			return d.local, true
		}
	}
	return nil, false
}

// processDefault is slog.Default(), or, when slog's default is the
// exporting logger of another running application, a logger that prints
// as that one does without exporting to that application's endpoint.
func processDefault() *slog.Logger {
	l := slog.Default()
	if h, ok := installedLocal(l); ok {
		return slog.New(h)
	}
	return l
}

// console returns the handler an exporting logger prints with: that of l,
// or of slog.Default() when l is nil (the local handler of another running
// application when it is that application's exporting logger).
//
// slog's own first default handler writes through the standard logger,
// which slog.SetDefault points back at the new default: a logger that both
// prints through it and is slog's default would call itself until it
// deadlocks. That handler is replaced by a text handler writing where the
// standard logger writes, at the level it logs.
func console(l *slog.Logger) slog.Handler {
	if l == nil {
		l = processDefault()
	} else if h, ok := installedLocal(l); ok {
		return h
	}
	h := l.Handler()
	if !isSlogDefault(h) {
		return h
	}
	level := slog.LevelError
	for _, lv := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn} {
		if h.Enabled(context.Background(), lv) {
			level = lv
			break
		}
	}
	return slog.NewTextHandler(log.Writer(), &slog.HandlerOptions{Level: level})
}

// isSlogDefault reports whether h is slog's own default handler (the one
// slog.Default() has before any slog.SetDefault), which writes through the
// standard logger. A test holds the name to the Go release in use.
func isSlogDefault(h slog.Handler) bool {
	return fmt.Sprintf("%T", h) == "*slog.defaultHandler"
}
