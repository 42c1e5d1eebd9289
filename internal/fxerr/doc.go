// Package fxerr names this module's fx constructors in their errors.
//
// fx logs a failed constructor by the runtime name of the function it
// calls; for a constructor made with fx.Annotate that is
// "reflect".makeFuncStub. rediscache.Client and keyed.Client wrap their
// errors, and those of the lifecycle hooks they register, in an *Error
// that carries the name as the user wrote it (rediscache.Client("cache")),
// and fxmodule's event logger reports the failure by that name.
package fxerr
