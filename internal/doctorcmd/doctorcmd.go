package doctorcmd

import (
	"runtime/debug"
	"strings"
)

const (
	module = "github.com/aspirego/redis"
	// Package is redis-doctor's import path.
	Package = module + "/cmd/redis-doctor"
)

// Command returns the command that runs redis-doctor for the client called
// name, with flags before the package (such as "-tags azure"):
//
//	go run github.com/aspirego/redis/cmd/redis-doctor@v1.2.3 cache
//
// when the program was built with a published version of this module (it
// runs anywhere with a Go toolchain), else
//
//	go run github.com/aspirego/redis/cmd/redis-doctor cache
//
// which runs the version the service's module requires, from that module's
// directory (also with a replace directive or in this repository).
func Command(name string, flags ...string) string {
	args := append([]string{"go", "run"}, flags...)
	return strings.Join(append(args, Package+version(), name), " ")
}

// version is "@" and the version of this module the program was built
// with, or "" when that is not a published version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, dep := range bi.Deps {
		if dep.Path != module {
			continue
		}
		if dep.Replace != nil || dep.Version == "" || dep.Version == "(devel)" {
			return ""
		}
		return "@" + dep.Version
	}
	return ""
}
