package keyedmark

// Mark marks the *settings.Settings it is given as a keyed client's. Package
// settings sets it when it is initialised.
var Mark func(settings any)
