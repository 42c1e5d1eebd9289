// Package configstore is the .NET-style configuration store behind
// settings.Config: appsettings.json files (read as .NET's JSON provider
// reads them, with its limits), environment variables with "__" levels
// and the App Service connection-string prefixes, and values from code,
// all under case-insensitive ':' keys that remember their source.
//
// Package settings wraps a Store in its public Config; code of this
// module that needs more than Config offers (the keys, the files read)
// reaches the Store through [Of].
package configstore
