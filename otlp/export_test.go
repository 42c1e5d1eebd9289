package otlp

// ClearOTELEnv unsets, for the test, every variable that makes New export.
var ClearOTELEnv = clearOTELEnv
